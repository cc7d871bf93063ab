package schemas

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Reference renders the full plan schema as a Markdown reference: the
// plan's keys, a step, a batch block, the shared blocks (retry, host) and
// each kind's `with:` parameters, every one with its type and description.
func Reference() string {
	var doc map[string]any
	if err := json.Unmarshal(Plan(), &doc); err != nil {
		panic(err) // the embedded schema is checked by the tests
	}
	defs, _ := doc["$defs"].(map[string]any)
	var b strings.Builder
	b.WriteString("# Plan reference\n\n")
	b.WriteString(str(doc["description"]) + "\n\n")
	section(&b, "## Plan file", doc)
	if props, ok := doc["properties"].(map[string]any); ok {
		if d, ok := props["defaults"].(map[string]any); ok {
			section(&b, "## `defaults:`", d)
		}
	}
	for _, d := range []struct{ title, def string }{
		{"## A step (`steps:` entry)", "step"},
		{"## A batch block (`steps:` entry with `batch:`)", "batch"},
		{"## `retry:`", "retry"},
		{"## A host (`hosts:` entry)", "host"},
	} {
		if m, ok := defs[d.def].(map[string]any); ok {
			section(&b, d.title, m)
		}
	}
	for _, k := range Kinds() {
		if m, ok := defs["with-"+k].(map[string]any); ok {
			section(&b, fmt.Sprintf("## Kind `%s`: `with:`", k), m)
		}
	}
	return b.String()
}

func section(b *strings.Builder, title string, s map[string]any) {
	b.WriteString(title + "\n\n")
	if d := str(s["description"]); d != "" && !strings.HasPrefix(title, "## Plan file") {
		b.WriteString(d + "\n\n")
	}
	props, _ := s["properties"].(map[string]any)
	if len(props) == 0 {
		return
	}
	req := map[string]bool{}
	if r, ok := s["required"].([]any); ok {
		for _, x := range r {
			req[str(x)] = true
		}
	}
	names := make([]string, 0, len(props))
	for n := range props {
		names = append(names, n)
	}
	sort.Strings(names)
	b.WriteString("| key | type | description |\n|---|---|---|\n")
	for _, n := range names {
		p, _ := props[n].(map[string]any)
		key := "`" + n + "`"
		if req[n] {
			key += " (required)"
		}
		fmt.Fprintf(b, "| %s | %s | %s |\n", key, typeOf(p), cell(str(p["description"])))
	}
	b.WriteString("\n")
}

// typeOf describes a property schema's type in a few words.
func typeOf(p map[string]any) string {
	if ref := str(p["$ref"]); ref != "" {
		return strings.TrimPrefix(ref, "#/$defs/")
	}
	if e, ok := p["enum"].([]any); ok {
		parts := make([]string, len(e))
		for i, v := range e {
			parts[i] = fmt.Sprintf("`%v`", v)
		}
		return "one of " + strings.Join(parts, ", ")
	}
	var types []string
	switch t := p["type"].(type) {
	case string:
		types = []string{t}
	case []any:
		for _, x := range t {
			types = append(types, str(x))
		}
	}
	for i, t := range types {
		switch t {
		case "array":
			if it, ok := p["items"].(map[string]any); ok {
				types[i] = "list of " + typeOf(it)
			} else {
				types[i] = "list"
			}
		case "object":
			ap, ok := p["additionalProperties"].(map[string]any)
			if then, isMap := p["then"].(map[string]any); !ok && isMap {
				ap, ok = then["additionalProperties"].(map[string]any)
			}
			if ok {
				types[i] = "map of " + typeOf(ap)
			} else {
				types[i] = "map"
			}
		case "string":
			if str(p["format"]) == "duration" {
				types[i] = "duration"
			}
		}
	}
	if len(types) == 0 {
		return "any"
	}
	return strings.Join(types, " or ")
}

func str(v any) string { s, _ := v.(string); return s }

func cell(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ") }

package schemas

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"
	"sync"
)

//go:embed plan.json kinds
var files embed.FS

// PlanURL is the $id of the plan schema.
const PlanURL = "https://planrun.dev/schemas/plan.json"

// Kinds returns the names of the kinds that have a schema, sorted.
func Kinds() []string {
	entries, err := files.ReadDir("kinds")
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".json"); ok && !e.IsDir() {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// Kind returns the schema of kind name's `with:` block as written in
// kinds/<name>.json.
func Kind(name string) ([]byte, bool) {
	if name == "" || strings.ContainsAny(name, "/\\.") {
		return nil, false
	}
	b, err := files.ReadFile(path.Join("kinds", name+".json"))
	if err != nil {
		return nil, false
	}
	return b, true
}

// WithRequired reports whether steps of kind name must have a `with:`
// block: the plan schema then reports a step without one as missing the
// field "with" (see requiresWith).
func WithRequired(name string) bool {
	c, err := compile()
	if err != nil {
		return false
	}
	ks, _ := pointer(c.doc, "/$defs/with-"+name).(map[string]any)
	return ks != nil && requiresWith(ks)
}

// requiresWith is the plan schema's rule for a kind's `with:` schema ks:
// a kind with required parameters makes `with:` itself required.
func requiresWith(ks map[string]any) bool {
	req, _ := ks["required"].([]any)
	return len(req) > 0
}

// Editor returns Plan for editors: a step's with: field whose type is
// not a string also takes an expression (${{ ... }}), which planrun
// resolves when the step runs (`party_id: "${{ item.new }}"`). It is the
// schema `planrun schema` prints and schemas/planrun.schema.json holds.
func Editor() []byte {
	b, err := editorSchema()
	if err != nil {
		panic(err) // as Plan
	}
	return b
}

var editorSchema = sync.OnceValues(func() ([]byte, error) {
	var doc map[string]any
	if err := json.Unmarshal(Plan(), &doc); err != nil {
		return nil, err
	}
	defs := doc["$defs"].(map[string]any)
	defs["expression"] = map[string]any{
		"description": "An expression, ${{ vars.N }}, ${{ env.N }}, ${{ item.N }} or ${{ steps.ID.outputs.N }}, resolved when the step runs.",
		"type":        "string",
		"pattern":     `\$\{\{.*\}\}`,
	}
	for name, d := range defs {
		if strings.HasPrefix(name, "with-") {
			if m, ok := d.(map[string]any); ok {
				allowExpressions(m)
			}
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
})

// allowExpressions lets every property (and list item) under the object
// schema m that does not take a string take an expression as well.
func allowExpressions(m map[string]any) {
	wrap := func(v any) any {
		sub, ok := v.(map[string]any)
		if !ok {
			return v
		}
		allowExpressions(sub)
		if takesString(sub) {
			return sub
		}
		return map[string]any{"anyOf": []any{sub, map[string]any{"$ref": "#/$defs/expression"}}}
	}
	if props, ok := m["properties"].(map[string]any); ok {
		for k, v := range props {
			props[k] = wrap(v)
		}
	}
	if ap, ok := m["additionalProperties"].(map[string]any); ok {
		m["additionalProperties"] = wrap(ap)
	}
	if items, ok := m["items"].(map[string]any); ok {
		m["items"] = wrap(items)
	}
}

// takesString reports whether schema m accepts some strings (or is not
// typed at all).
func takesString(m map[string]any) bool {
	switch t := m["type"].(type) {
	case nil:
		return true
	case string:
		return t == "string"
	case []any:
		for _, x := range t {
			if x == "string" {
				return true
			}
		}
	}
	return false
}

// Plan returns the full plan schema, indented JSON: plan.json with every
// kind's `with:` schema composed in under $defs/with-<kind>, selected by
// an if/then on the step's `kind`.
func Plan() []byte {
	b, err := composed()
	if err != nil {
		// The embedded files are checked by the tests; this cannot happen
		// in a released binary.
		panic(err)
	}
	return b
}

var composed = sync.OnceValues(compose)

func compose() ([]byte, error) {
	raw, err := files.ReadFile("plan.json")
	if err != nil {
		return nil, fmt.Errorf("read plan schema: %w", err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("parse plan schema: %w", err)
	}
	defs := doc["$defs"].(map[string]any)
	step := defs["step"].(map[string]any)
	var allOf []any
	for _, name := range Kinds() {
		b, _ := Kind(name)
		var ks map[string]any
		if err := json.Unmarshal(b, &ks); err != nil {
			return nil, fmt.Errorf("parse schema of kind %s: %w", name, err)
		}
		delete(ks, "$schema")
		delete(ks, "$id")
		defs["with-"+name] = ks
		then := map[string]any{
			"properties": map[string]any{"with": map[string]any{"$ref": "#/$defs/with-" + name}},
		}
		if requiresWith(ks) {
			then["required"] = []any{"with"}
		}
		allOf = append(allOf, map[string]any{
			"if": map[string]any{
				"required":   []any{"kind"},
				"properties": map[string]any{"kind": map[string]any{"const": name}},
			},
			"then": then,
		})
	}
	if allOf == nil {
		delete(step, "allOf")
	} else {
		step["allOf"] = allOf
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("encode plan schema: %w", err)
	}
	return buf.Bytes(), nil
}

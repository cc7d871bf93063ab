package plan

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// ref is one ${{ ... }} expression inside a string.
type ref struct {
	Scope string // "vars", "env", "steps" or "item"
	Name  string // variable, environment variable, item field or output name
	Step  string // for "steps": the step id (ID or ID[KEY])
	Start int    // byte offset of "${{"
	End   int    // byte offset just past "}}"
	Text  string // the whole expression as written
}

// scanRefs finds every expression in s.
func scanRefs(s string) ([]ref, error) {
	var out []ref
	off := 0
	for {
		i := strings.Index(s[off:], "${{")
		if i < 0 {
			return out, nil
		}
		start := off + i
		j := strings.Index(s[start+3:], "}}")
		if j < 0 {
			return out, fmt.Errorf("unterminated expression %q: want ${{ ... }}", s[start:])
		}
		end := start + 3 + j + 2
		r, err := parseRef(strings.TrimSpace(s[start+3 : end-2]))
		if err != nil {
			return out, fmt.Errorf("bad expression %q: %w", s[start:end], err)
		}
		r.Start, r.End, r.Text = start, end, s[start:end]
		out = append(out, r)
		off = end
	}
}

const refForms = "want vars.NAME, env.NAME, steps.ID.outputs.NAME or item.NAME"

func parseRef(e string) (ref, error) {
	scope, rest, ok := strings.Cut(e, ".")
	if !ok {
		return ref{}, fmt.Errorf("%s", refForms)
	}
	switch scope {
	case "vars", "env", "item":
		if !isName(rest) {
			return ref{}, fmt.Errorf("%q is not a name (letters, digits, '_', '-')", rest)
		}
		return ref{Scope: scope, Name: rest}, nil
	case "steps":
		id, n := scanID(rest)
		if n == 0 {
			return ref{}, fmt.Errorf("%s", refForms)
		}
		name, ok := strings.CutPrefix(rest[n:], ".outputs.")
		if !ok || !isName(name) {
			return ref{}, fmt.Errorf("want steps.%s.outputs.NAME", id)
		}
		return ref{Scope: "steps", Step: id, Name: name}, nil
	}
	return ref{}, fmt.Errorf("unknown scope %q: %s", scope, refForms)
}

// scanID reads a step id (NAME or NAME[KEY]) at the start of s and returns
// it and its length, or 0 if there is none.
func scanID(s string) (string, int) {
	n := 0
	for n < len(s) && isNameByte(s[n]) {
		n++
	}
	if n == 0 {
		return "", 0
	}
	if n < len(s) && s[n] == '[' {
		end := strings.IndexByte(s[n:], ']')
		if end < 0 {
			return "", 0
		}
		n += end + 1
	}
	return s[:n], n
}

func isNameByte(c byte) bool {
	return c == '_' || c == '-' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// isName reports whether s is a name: letters, digits, '_' and '-', not
// starting with '-'.
func isName(s string) bool {
	if s == "" || s[0] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isNameByte(s[i]) {
			return false
		}
	}
	return true
}

// substitute replaces the expressions of s for which look returns a value.
// A string that is exactly one replaced expression becomes the value itself
// (keeping its type); otherwise values are formatted into the text.
func substitute(s string, look func(r ref) (any, bool)) (any, error) {
	if !strings.Contains(s, "${{") {
		return s, nil
	}
	refs, err := scanRefs(s)
	if err != nil {
		return s, err
	}
	if len(refs) == 1 && refs[0].Start == 0 && refs[0].End == len(s) {
		if v, ok := look(refs[0]); ok {
			return v, nil
		}
		return s, nil
	}
	var b strings.Builder
	last := 0
	for _, r := range refs {
		v, ok := look(r)
		if !ok {
			continue
		}
		b.WriteString(s[last:r.Start])
		b.WriteString(text(v))
		last = r.End
	}
	b.WriteString(s[last:])
	return b.String(), nil
}

// substituteAll applies substitute to every string in v, returning a copy.
// Only the first error is returned; substitution goes on past it.
func substituteAll(v any, look func(r ref) (any, bool)) (any, error) {
	switch x := v.(type) {
	case string:
		return substitute(x, look)
	case map[string]any:
		out := make(map[string]any, len(x))
		var first error
		for k, e := range x {
			r, err := substituteAll(e, look)
			if err != nil && first == nil {
				first = err
			}
			out[k] = r
		}
		return out, first
	case []any:
		out := make([]any, len(x))
		var first error
		for i, e := range x {
			r, err := substituteAll(e, look)
			if err != nil && first == nil {
				first = err
			}
			out[i] = r
		}
		return out, first
	}
	return v, nil
}

// text formats a value for use inside a longer string.
func text(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case int, int64, int32, uint, uint64, uint32:
		return fmt.Sprint(x)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

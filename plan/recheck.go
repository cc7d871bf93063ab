package plan

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/planrun/planrun/schemas"
)

// substitutedProblems checks the values that vars and item expressions
// were replaced with at load time against the kind's schema (the template
// was checked with those values unknown). Substituted text may stand for a
// number or boolean (vars and CSV fields are text), so a problem counts only
// if the value fails both as text and read as a number or boolean; type
// mismatches are left to the typed decode, which reports them.
func substitutedProblems(kind string, tmpl, with map[string]any) []fieldError {
	if !kindSchemas()[kind] {
		return nil
	}
	var paths [][]string
	substitutedPaths(tmpl, with, nil, &paths)
	if len(paths) == 0 {
		return nil
	}
	coerced := copyValue(with)
	for _, p := range paths {
		coerceAt(coerced, p)
	}
	probs, ok, err := schemas.CheckKind(kind, coerced)
	if !ok || err != nil {
		return nil
	}
	var relevant []schemas.Problem
	for _, pr := range probs {
		if under(pr.Path, paths) != nil && !isTypeMsg(pr.Msg) {
			relevant = append(relevant, pr)
		}
	}
	if len(relevant) == 0 {
		return nil
	}
	raw, _, _ := schemas.CheckKind(kind, with)
	var out []fieldError
	for _, pr := range relevant {
		at := under(pr.Path, paths)
		if slices.ContainsFunc(raw, func(r schemas.Problem) bool { return under(r.Path, [][]string{at}) != nil }) {
			out = append(out, fieldError{path: pr.Path, key: pr.Key, msg: pr.Msg})
		}
	}
	return out
}

// kindSchemas is the set of kinds that have a schema.
var kindSchemas = sync.OnceValue(func() map[string]bool {
	m := map[string]bool{}
	for _, k := range schemas.Kinds() {
		m[k] = true
	}
	return m
})

func isTypeMsg(msg string) bool {
	return strings.HasPrefix(msg, "want ") && strings.Contains(msg, ", got ")
}

// under returns the path of paths that p is at or below, or nil.
func under(p []string, paths [][]string) []string {
	for _, q := range paths {
		if len(p) >= len(q) && slices.Equal(p[:len(q)], q) {
			return q
		}
	}
	return nil
}

// substitutedPaths lists where tmpl held an expression that expansion
// replaced (the value in with differs from the template's text).
func substitutedPaths(tmpl, with any, path []string, out *[][]string) {
	switch t := tmpl.(type) {
	case string:
		if s, same := with.(string); strings.Contains(t, "${{") && (!same || s != t) {
			if !same || !strings.Contains(s, "${{") {
				*out = append(*out, slices.Clone(path))
			}
		}
	case map[string]any:
		w, _ := with.(map[string]any)
		for k, v := range t {
			substitutedPaths(v, w[k], append(path, k), out)
		}
	case []any:
		w, _ := with.([]any)
		for i, v := range t {
			if i < len(w) {
				substitutedPaths(v, w[i], append(path, strconv.Itoa(i)), out)
			}
		}
	}
}

func copyValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = copyValue(e)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = copyValue(e)
		}
		return s
	}
	return v
}

// coerceAt reads the string at path as a number or boolean if it is one.
func coerceAt(v any, path []string) {
	if len(path) == 0 {
		return
	}
	parent, ok := valueAt(v, path[:len(path)-1])
	if !ok {
		return
	}
	last := path[len(path)-1]
	get := func() any { x, _ := valueAt(parent, []string{last}); return x }
	s, ok := get().(string)
	if !ok {
		return
	}
	var nv any
	if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
		nv = f
	} else if b, err := strconv.ParseBool(s); err == nil && (s == "true" || s == "false") {
		nv = b
	} else {
		return
	}
	switch p := parent.(type) {
	case map[string]any:
		p[last] = nv
	case []any:
		if i, err := strconv.Atoi(last); err == nil {
			p[i] = nv
		}
	}
}

package plan

import (
	"math"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// posOf is where n starts in file.
func posOf(file string, n *yaml.Node) Pos {
	if n == nil {
		return Pos{File: file}
	}
	return Pos{File: file, Line: n.Line, Col: n.Column}
}

// deref follows aliases and unwraps a document node.
func deref(n *yaml.Node) *yaml.Node {
	for n != nil && (n.Kind == yaml.AliasNode || n.Kind == yaml.DocumentNode) {
		if n.Kind == yaml.AliasNode {
			n = n.Alias
		} else if len(n.Content) > 0 {
			n = n.Content[0]
		} else {
			return nil
		}
	}
	return n
}

// mapGet returns the key and value nodes of key in mapping n, or in the
// mappings it merges (<<: *anchor), as value reads them.
func mapGet(n *yaml.Node, key string) (k, v *yaml.Node) {
	for _, p := range pairs(n) {
		if p.k.Value == key {
			return p.k, deref(p.v)
		}
	}
	return nil, nil
}

// pair is a key of a mapping and its value node.
type pair struct{ k, v *yaml.Node }

// pairs returns the entries of mapping n as YAML's merge keys make them:
// those written in n, in order, then those of the mappings it merges
// (<<: *a, or <<: [*a, *b], the earlier winning) that n does not set.
// Merge keys themselves are left out.
func pairs(n *yaml.Node) []pair {
	var out []pair
	seen := map[string]bool{}
	// A mapping merged twice gives nothing new the second time: each is
	// walked once, so that merges of merges (an alias "bomb") stay linear.
	walked := map[*yaml.Node]bool{}
	var walk func(n *yaml.Node, depth int)
	walk = func(n *yaml.Node, depth int) {
		n = deref(n)
		if n == nil || n.Kind != yaml.MappingNode || depth > maxDepth || walked[n] {
			return
		}
		walked[n] = true
		var merges []*yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.ShortTag() == "!!merge" {
				merges = append(merges, n.Content[i+1])
				continue
			}
			if !seen[k.Value] {
				seen[k.Value] = true
				out = append(out, pair{k, n.Content[i+1]})
			}
		}
		for _, m := range merges {
			if mn := deref(m); mn != nil && mn.Kind == yaml.SequenceNode {
				for _, e := range mn.Content {
					walk(e, depth+1)
				}
				continue
			}
			walk(m, depth+1)
		}
	}
	walk(n, 0)
	return out
}

// isStr reports whether n is a plain string scalar.
func isStr(n *yaml.Node) bool {
	return n != nil && n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str"
}

// Limits on YAML alias expansion: a recursive alias or an alias "bomb"
// must not hang or exhaust the loader. maxNodes counts values reached
// through aliases only (the rest is bounded by the file's size).
const (
	maxDepth = 64
	maxNodes = 1 << 18
)

// value converts a YAML node to the generic JSON-like value the schema
// check and the typed decode work on: map[string]any, []any, string,
// float64, bool or nil. Numbers are float64 so that a plan round-trips
// through JSON unchanged. Beyond the alias limits it gives nil.
func value(n *yaml.Node) any {
	v, _ := valueChecked(n)
	return v
}

// valueChecked is value that also reports whether the limits were hit.
func valueChecked(n *yaml.Node) (any, bool) {
	c := converter{budget: maxNodes}
	v := c.value(n, 0, false)
	return v, c.overflow
}

type converter struct {
	budget   int
	overflow bool
}

func (c *converter) value(n *yaml.Node, depth int, aliased bool) any {
	if n != nil && n.Kind == yaml.AliasNode {
		aliased = true
	}
	n = deref(n)
	if n == nil {
		return nil
	}
	if aliased {
		c.budget--
	}
	if depth > maxDepth || c.budget < 0 {
		c.overflow = true
		return nil
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		var merges []*yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := n.Content[i]; k.ShortTag() == "!!merge" {
				merges = append(merges, n.Content[i+1])
				continue
			}
			m[n.Content[i].Value] = c.value(n.Content[i+1], depth+1, aliased)
		}
		// YAML merge keys (<<: *anchor or a list of them): keys written
		// in the mapping itself win.
		for _, raw := range merges {
			srcs := []*yaml.Node{raw}
			if mn := deref(raw); mn != nil && mn.Kind == yaml.SequenceNode {
				srcs = mn.Content
			}
			for _, src := range srcs {
				if sm, ok := c.value(src, depth+1, aliased).(map[string]any); ok {
					for k, v := range sm {
						if _, set := m[k]; !set {
							m[k] = v
						}
					}
				}
			}
		}
		return m
	case yaml.SequenceNode:
		s := make([]any, len(n.Content))
		for i, e := range n.Content {
			s[i] = c.value(e, depth+1, aliased)
		}
		return s
	case yaml.ScalarNode:
		return scalar(n)
	}
	return nil
}

func scalar(n *yaml.Node) any {
	switch n.ShortTag() {
	case "!!null":
		return nil
	case "!!bool":
		var b bool
		if n.Decode(&b) == nil {
			return b
		}
	case "!!int":
		var i int64
		if n.Decode(&i) == nil {
			return float64(i)
		}
		var u uint64
		if n.Decode(&u) == nil {
			return float64(u)
		}
	case "!!float":
		var f float64
		if n.Decode(&f) == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
			return f
		}
	}
	return n.Value
}

// splitPath splits a field path such as "config.role.guest[0]" (the form
// mapstructure and steps.FieldError use) into its segments.
func splitPath(p string) []string {
	var out []string
	for p != "" {
		switch {
		case p[0] == '.':
			p = p[1:]
		case p[0] == '[':
			end := strings.IndexByte(p, ']')
			if end < 0 {
				return append(out, p[1:])
			}
			out = append(out, p[1:end])
			p = p[end+1:]
		default:
			end := strings.IndexAny(p, ".[")
			if end < 0 {
				end = len(p)
			}
			out = append(out, p[:end])
			p = p[end:]
		}
	}
	return out
}

// locate follows path (keys and indexes) from n. It returns the deepest
// node reached, the key node of the last mapping step taken (nil for a
// sequence step or none), and whether the whole path was found.
func locate(n *yaml.Node, path []string) (node, key *yaml.Node, ok bool) {
	node = deref(n)
	for _, seg := range path {
		switch {
		case node == nil:
			return nil, key, false
		case node.Kind == yaml.MappingNode:
			k, v := mapGet(node, seg)
			if k == nil {
				return node, key, false
			}
			node, key = v, k
		case node.Kind == yaml.SequenceNode:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(node.Content) {
				return node, key, false
			}
			node, key = deref(node.Content[i]), nil
		default:
			return node, key, false
		}
	}
	return node, key, true
}

// valueAt follows path in a generic value.
func valueAt(v any, path []string) (any, bool) {
	for _, seg := range path {
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[seg]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// hasExpr reports whether v is a string holding an expression.
func hasExpr(v any) bool {
	s, ok := v.(string)
	return ok && strings.Contains(s, "${{")
}

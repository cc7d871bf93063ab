package dag

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// build makes a graph from "node: needs..." pairs in order.
func build(t *testing.T, nodes []string, needs map[string][]string) *Graph {
	t.Helper()
	g := New(len(nodes))
	for _, n := range nodes {
		if !g.AddNode(n) {
			t.Fatalf("AddNode(%q) = false, want true", n)
		}
	}
	for _, n := range nodes {
		for _, d := range needs[n] {
			if err := g.AddNeed(n, d); err != nil {
				t.Fatal(err)
			}
		}
	}
	return g
}

func TestTopoOrder(t *testing.T) {
	tests := map[string]struct {
		nodes []string
		needs map[string][]string
		want  []string
	}{
		"empty":       {nil, nil, []string{}},
		"independent": {[]string{"c", "a", "b"}, nil, []string{"c", "a", "b"}},
		"chain reversed": {
			[]string{"a", "b", "c"},
			map[string][]string{"a": {"b"}, "b": {"c"}},
			[]string{"c", "b", "a"},
		},
		"diamond keeps file order among ready": {
			[]string{"top", "right", "left", "bottom"},
			map[string][]string{"right": {"top"}, "left": {"top"}, "bottom": {"left", "right"}},
			[]string{"top", "right", "left", "bottom"},
		},
		"late ready node waits its turn": {
			[]string{"x", "a", "b", "y"},
			map[string][]string{"x": {"b"}, "a": {"b"}},
			[]string{"b", "x", "a", "y"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := build(t, tc.nodes, tc.needs).TopoOrder()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("TopoOrder() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCycles(t *testing.T) {
	tests := map[string]struct {
		nodes []string
		needs map[string][]string
		want  [][]string
	}{
		"none": {[]string{"a", "b"}, map[string][]string{"a": {"b"}}, nil},
		"self": {[]string{"a"}, map[string][]string{"a": {"a"}}, [][]string{{"a", "a"}}},
		"three": {
			[]string{"a", "b", "c"},
			map[string][]string{"a": {"b"}, "b": {"c"}, "c": {"a"}},
			[][]string{{"a", "b", "c", "a"}},
		},
		"rotated to first in file order": {
			[]string{"x", "a", "b"},
			map[string][]string{"b": {"x"}, "x": {"a"}, "a": {"b"}},
			[][]string{{"x", "a", "b", "x"}},
		},
		"two disjoint cycles": {
			[]string{"a", "b", "ok", "c", "d", "e"},
			map[string][]string{"a": {"b"}, "b": {"a"}, "ok": {"a"}, "c": {"d"}, "d": {"e"}, "e": {"c"}},
			[][]string{{"a", "b", "a"}, {"c", "d", "e", "c"}},
		},
		"two cycles sharing a node": {
			[]string{"a", "b", "c"},
			map[string][]string{"a": {"b", "c"}, "b": {"a"}, "c": {"a"}},
			[][]string{{"a", "b", "a"}, {"a", "c", "a"}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := build(t, tc.nodes, tc.needs)
			if diff := cmp.Diff(tc.want, g.Cycles()); diff != "" {
				t.Errorf("Cycles() mismatch (-want +got):\n%s", diff)
			}
			_, err := g.TopoOrder()
			var ce *CycleError
			if (tc.want != nil) != errors.As(err, &ce) {
				t.Fatalf("TopoOrder() error = %v, want cycle error: %v", err, tc.want != nil)
			}
		})
	}
}

func TestCycleErrorMessage(t *testing.T) {
	err := &CycleError{Cycles: [][]string{{"a", "b", "a"}, {"c", "c"}}}
	if got, want := err.Error(), "dependency cycle: a -> b -> a; c -> c"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestReach(t *testing.T) {
	g := build(t, []string{"a", "b", "c", "d", "e"}, map[string][]string{
		"b": {"a"}, "c": {"b"}, "d": {"a"}, "e": nil,
	})
	if diff := cmp.Diff([]string{"b", "c", "d"}, g.Descendants("a")); diff != "" {
		t.Errorf("Descendants(a) (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"c"}, g.Descendants("b", "nope")); diff != "" {
		t.Errorf("Descendants(b) (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"a", "b"}, g.Ancestors("c")); diff != "" {
		t.Errorf("Ancestors(c) (-want +got):\n%s", diff)
	}
	if got := g.Ancestors("e"); got != nil {
		t.Errorf("Ancestors(e) = %v, want none", got)
	}
	if diff := cmp.Diff([]string{"b", "d"}, g.Users("a")); diff != "" {
		t.Errorf("Users(a) (-want +got):\n%s", diff)
	}
}

func TestAddNeedUnknown(t *testing.T) {
	g := New(1)
	g.AddNode("a")
	if err := g.AddNeed("a", "zz"); err == nil {
		t.Error("AddNeed to unknown node: got nil error")
	}
	if g.AddNode("a") {
		t.Error("AddNode(dup) = true")
	}
}

func BenchmarkTopoOrder10k(b *testing.B) {
	g := New(10000)
	for i := range 10000 {
		g.AddNode(fmt.Sprint(i))
		if i%5 != 0 {
			g.AddNeed(fmt.Sprint(i), fmt.Sprint(i-1))
		}
	}
	for b.Loop() {
		if _, err := g.TopoOrder(); err != nil {
			b.Fatal(err)
		}
	}
}

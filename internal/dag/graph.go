package dag

import (
	"container/heap"
	"fmt"
	"strings"
)

// Graph is a directed graph whose edges point from a node to the nodes it
// needs. The zero value is not usable; call New.
type Graph struct {
	ids   []string
	index map[string]int
	needs [][]int // node -> nodes it needs, in the order added, deduplicated
	users [][]int // node -> nodes that need it
	edges map[[2]int]struct{}
}

// New returns an empty graph with room for n nodes.
func New(n int) *Graph {
	return &Graph{
		ids:   make([]string, 0, n),
		index: make(map[string]int, n),
		needs: make([][]int, 0, n),
		users: make([][]int, 0, n),
		edges: make(map[[2]int]struct{}, n),
	}
}

// AddNode adds id and reports whether it was new.
func (g *Graph) AddNode(id string) bool {
	if _, ok := g.index[id]; ok {
		return false
	}
	g.index[id] = len(g.ids)
	g.ids = append(g.ids, id)
	g.needs = append(g.needs, nil)
	g.users = append(g.users, nil)
	return true
}

// AddNeed records that node needs dep (dep runs first). Both must exist;
// a duplicate edge is ignored. A node needing itself is a cycle.
func (g *Graph) AddNeed(node, dep string) error {
	n, ok := g.index[node]
	if !ok {
		return fmt.Errorf("add need %s -> %s: unknown node %q", node, dep, node)
	}
	d, ok := g.index[dep]
	if !ok {
		return fmt.Errorf("add need %s -> %s: unknown node %q", node, dep, dep)
	}
	if _, dup := g.edges[[2]int{n, d}]; dup {
		return nil
	}
	g.edges[[2]int{n, d}] = struct{}{}
	g.needs[n] = append(g.needs[n], d)
	g.users[d] = append(g.users[d], n)
	return nil
}

// Has reports whether id is a node.
func (g *Graph) Has(id string) bool { _, ok := g.index[id]; return ok }

// Len is the number of nodes.
func (g *Graph) Len() int { return len(g.ids) }

// Nodes returns every node in insertion order.
func (g *Graph) Nodes() []string { return append([]string(nil), g.ids...) }

// Needs returns the nodes id needs directly, in the order added.
func (g *Graph) Needs(id string) []string { return g.names(g.needs, id) }

// Users returns the nodes that need id directly, in insertion order of the edges.
func (g *Graph) Users(id string) []string { return g.names(g.users, id) }

func (g *Graph) names(adj [][]int, id string) []string {
	i, ok := g.index[id]
	if !ok {
		return nil
	}
	out := make([]string, len(adj[i]))
	for k, j := range adj[i] {
		out[k] = g.ids[j]
	}
	return out
}

// Descendants returns every node that needs one of ids, directly or
// transitively ("downstream of"), not including ids themselves unless they
// are downstream of another of ids; in insertion order. Unknown ids are ignored.
func (g *Graph) Descendants(ids ...string) []string { return g.reach(g.users, ids) }

// Ancestors returns every node one of ids needs, directly or transitively,
// in insertion order. Unknown ids are ignored.
func (g *Graph) Ancestors(ids ...string) []string { return g.reach(g.needs, ids) }

func (g *Graph) reach(adj [][]int, ids []string) []string {
	seen := make([]bool, len(g.ids))
	var stack []int
	for _, id := range ids {
		if i, ok := g.index[id]; ok {
			stack = append(stack, i)
		}
	}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, m := range adj[n] {
			if !seen[m] {
				seen[m] = true
				stack = append(stack, m)
			}
		}
	}
	var out []string
	for i, s := range seen {
		if s {
			out = append(out, g.ids[i])
		}
	}
	return out
}

// CycleError lists every cycle found, each as a path that starts and ends
// at the same node: [a b c a] means a needs b, b needs c, c needs a.
type CycleError struct {
	Cycles [][]string
}

func (e *CycleError) Error() string {
	parts := make([]string, len(e.Cycles))
	for i, c := range e.Cycles {
		parts[i] = strings.Join(c, " -> ")
	}
	return "dependency cycle: " + strings.Join(parts, "; ")
}

// TopoOrder returns every node such that each comes after all the nodes it
// needs; among nodes that are ready at the same time, insertion order wins.
// If the graph has cycles it returns a *CycleError listing them all.
func (g *Graph) TopoOrder() ([]string, error) {
	pending := make([]int, len(g.ids))
	ready := &intHeap{}
	for i := range g.ids {
		pending[i] = len(g.needs[i])
		if pending[i] == 0 {
			*ready = append(*ready, i)
		}
	}
	heap.Init(ready)
	out := make([]string, 0, len(g.ids))
	for ready.Len() > 0 {
		n := heap.Pop(ready).(int)
		out = append(out, g.ids[n])
		for _, u := range g.users[n] {
			pending[u]--
			if pending[u] == 0 {
				heap.Push(ready, u)
			}
		}
	}
	if len(out) < len(g.ids) {
		return nil, &CycleError{Cycles: g.Cycles()}
	}
	return out, nil
}

type intHeap []int

func (h intHeap) Len() int           { return len(h) }
func (h intHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h intHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *intHeap) Push(x any)        { *h = append(*h, x.(int)) }
func (h *intHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

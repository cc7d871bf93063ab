package dag

// Cycles returns the graph's cycles, each as a path following "needs" edges
// that starts and ends at the same node, rotated to start at the node that
// comes first in insertion order. Every edge that lies on some cycle is on
// at least one reported cycle, so two cycles sharing a node are both
// reported; each reported cycle is a shortest one through its first
// uncovered edge. Cycles come out ordered by their first node.
func (g *Graph) Cycles() [][]string {
	comp := g.components()
	var out [][]string
	covered := make(map[[2]int]bool)
	for u := range g.ids {
		for _, v := range g.needs[u] {
			if comp[u] != comp[v] || covered[[2]int{u, v}] {
				continue
			}
			path := g.shortestPath(v, u, comp) // v ... u
			cyc := append([]int{u}, path...)   // u v ... u
			for i := 0; i+1 < len(cyc); i++ {
				covered[[2]int{cyc[i], cyc[i+1]}] = true
			}
			out = append(out, g.rotate(cyc))
		}
	}
	return out
}

// rotate turns the closed walk c (c[0] == c[len-1]) into names starting at
// its lowest-index node.
func (g *Graph) rotate(c []int) []string {
	ring := c[:len(c)-1]
	low := 0
	for i, n := range ring {
		if n < ring[low] {
			low = i
		}
	}
	names := make([]string, 0, len(c))
	for i := range ring {
		names = append(names, g.ids[ring[(low+i)%len(ring)]])
	}
	return append(names, names[0])
}

// shortestPath returns the nodes from src to dst (both included) along needs
// edges, staying inside src's strongly connected component.
func (g *Graph) shortestPath(src, dst int, comp []int) []int {
	if src == dst {
		return []int{src}
	}
	prev := map[int]int{src: -1}
	queue := []int{src}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, m := range g.needs[n] {
			if comp[m] != comp[src] {
				continue
			}
			if _, seen := prev[m]; seen {
				continue
			}
			prev[m] = n
			if m == dst {
				var rev []int
				for x := m; x != -1; x = prev[x] {
					rev = append(rev, x)
				}
				for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
					rev[i], rev[j] = rev[j], rev[i]
				}
				return rev
			}
			queue = append(queue, m)
		}
	}
	return nil // unreachable: src and dst share a component
}

// components labels each node with its strongly connected component
// (Tarjan's algorithm, iterative so deep chains cannot exhaust the stack).
func (g *Graph) components() []int {
	n := len(g.ids)
	index := make([]int, n)
	low := make([]int, n)
	comp := make([]int, n)
	onStack := make([]bool, n)
	for i := range index {
		index[i] = -1
	}
	var stack []int
	next, ncomp := 0, 0
	type frame struct{ node, edge int }
	for root := 0; root < n; root++ {
		if index[root] != -1 {
			continue
		}
		call := []frame{{root, 0}}
		index[root], low[root] = next, next
		next++
		stack = append(stack, root)
		onStack[root] = true
		for len(call) > 0 {
			f := &call[len(call)-1]
			v := f.node
			if f.edge < len(g.needs[v]) {
				w := g.needs[v][f.edge]
				f.edge++
				if index[w] == -1 {
					index[w], low[w] = next, next
					next++
					stack = append(stack, w)
					onStack[w] = true
					call = append(call, frame{w, 0})
				} else if onStack[w] && index[w] < low[v] {
					low[v] = index[w]
				}
				continue
			}
			if low[v] == index[v] {
				for {
					w := stack[len(stack)-1]
					stack = stack[:len(stack)-1]
					onStack[w] = false
					comp[w] = ncomp
					if w == v {
						break
					}
				}
				ncomp++
			}
			call = call[:len(call)-1]
			if len(call) > 0 {
				p := call[len(call)-1].node
				if low[v] < low[p] {
					low[p] = low[v]
				}
			}
		}
	}
	return comp
}

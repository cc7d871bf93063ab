package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/planrun/planrun/internal/dag"
	"github.com/planrun/planrun/internal/suggest"
)

// Graph returns the plan's dependency graph: one node per step, in plan
// order, with an edge from each step to every step it needs. A loaded plan
// has no cycles and no unknown needs; needs of a hand-made plan that name
// unknown steps are left out.
func (p *Plan) Graph() *dag.Graph {
	g := dag.New(len(p.Steps))
	for _, s := range p.Steps {
		g.AddNode(s.ID)
	}
	for _, s := range p.Steps {
		for _, n := range s.Needs {
			_ = g.AddNeed(s.ID, n) // unknown needs are reported by Load
		}
	}
	return g
}

// Step returns the step with the given id.
func (p *Plan) Step(id string) (*Step, bool) {
	for _, s := range p.Steps {
		if s.ID == id {
			return s, true
		}
	}
	return nil, false
}

// Select returns the ids of the steps name stands for, as a `needs:`
// entry would: a step id (or ID[KEY], one item's copy), a batch step's id
// (every item's copy), or a batch's name (every step of every item).
// ok is false when name matches nothing; hint then says what was
// probably meant, if anything (" (did you mean …?)", or for ID[KEY] the
// batch's items).
func (p *Plan) Select(name string) (ids []string, ok bool, hint string) {
	if _, ok := p.Step(name); ok {
		return []string{name}, true, ""
	}
	var names []string
	seen := map[string]bool{}
	for _, s := range p.Steps {
		tmpl, _, _ := strings.Cut(s.ID, "[")
		if s.Batch != "" && (s.Batch == name || tmpl == name) {
			ids = append(ids, s.ID)
		}
		for _, n := range []string{s.ID, tmpl, s.Batch} {
			if n != "" && !seen[n] {
				seen[n] = true
				names = append(names, n)
			}
		}
	}
	if len(ids) > 0 {
		return ids, true, ""
	}
	if base, key, ok := strings.Cut(strings.TrimSuffix(name, "]"), "["); ok {
		var batch string
		var items []string
		for _, s := range p.Steps {
			if tmpl, _, _ := strings.Cut(s.ID, "["); tmpl == base && s.Batch != "" {
				batch, items = s.Batch, append(items, s.Item)
			}
		}
		if batch != "" {
			return nil, false, ": " + noItem(batch, key, items)
		}
	}
	return nil, false, suggest.Hint(name, names)
}

// noItem says that batch has no item key, listing its items (the first
// 8, and how many in all when there are more) and the one probably meant.
func noItem(batch, key string, items []string) string {
	list := strings.Join(items, ", ")
	if len(items) > 8 {
		list = strings.Join(items[:8], ", ") + fmt.Sprintf(", … (%d in all)", len(items))
	}
	return fmt.Sprintf("batch %q has no item %q (%sitems: %s)", batch, key, suggest.Prefix(key, items), list)
}

// DownstreamOf returns ids and every step that depends on one of them,
// directly or not, in plan order. Unknown ids are ignored.
func DownstreamOf(p *Plan, ids []string) []string {
	g := p.Graph()
	return p.inPlanOrder(g, ids, g.Descendants(ids...))
}

// UpstreamOf returns ids and every step one of them needs, directly or
// not, in plan order (what --only runs). Unknown ids are ignored.
func UpstreamOf(p *Plan, ids []string) []string {
	g := p.Graph()
	return p.inPlanOrder(g, ids, g.Ancestors(ids...))
}

// inPlanOrder returns the steps of ids (those g has) and of more, in plan
// order.
func (p *Plan) inPlanOrder(g *dag.Graph, ids, more []string) []string {
	want := map[string]bool{}
	for _, id := range ids {
		if g.Has(id) {
			want[id] = true
		}
	}
	for _, id := range more {
		want[id] = true
	}
	var out []string
	for _, s := range p.Steps {
		if want[s.ID] {
			out = append(out, s.ID)
		}
	}
	return out
}

// checkGraph reports dependency cycles, each as its path. A cycle inside
// one batch item is the same for every item: it is reported once, with
// the items it occurs in.
func (l *loader) checkGraph() {
	g := l.plan.Graph()
	byID := make(map[string]*Step, len(l.plan.Steps))
	for _, s := range l.plan.Steps {
		byID[s.ID] = s
	}
	type key struct {
		pos   Pos
		batch string
		path  string
	}
	groups := map[key][]string{}
	var order []key
	for _, cyc := range g.Cycles() {
		first := byID[cyc[0]]
		k := key{pos: first.Pos, path: strings.Join(cyc, " -> ")}
		sameItem := first.Batch != ""
		for _, id := range cyc {
			if s := byID[id]; s.Batch != first.Batch || s.Item != first.Item {
				sameItem = false
			}
		}
		if sameItem {
			names := make([]string, len(cyc))
			for i, id := range cyc {
				names[i] = l.steps[byID[id]].id
			}
			k.batch, k.path = first.Batch, strings.Join(names, " -> ")
		}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], first.Item)
	}
	for _, k := range order {
		if k.batch == "" {
			l.c.add(k.pos, "dependency cycle: %s", k.path)
			continue
		}
		items := groups[k]
		noun := "item"
		if len(items) > 1 {
			noun = "items"
		}
		l.c.add(k.pos, "dependency cycle in batch %q (%s %s): %s", k.batch, noun, listItems(items), k.path)
	}
}

// ComputeHash is the hash Load records in Hash: the sha256 of the
// expanded plan as JSON, without positions (so comments and formatting do
// not change it) and without the paths of the plan file and the state
// directory (so the same plan run from elsewhere has the same hash).
func (p *Plan) ComputeHash() string {
	h := sha256.New()
	if err := p.encodeHashed(h); err != nil {
		// With holds decoded YAML only; this cannot fail.
		panic(fmt.Sprintf("plan: hash: %v", err))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// encodeHashed writes what ComputeHash hashes to w.
func (p *Plan) encodeHashed(w io.Writer) error {
	q := *p
	q.Hash, q.File, q.BaseDir, q.StateDir = "", "", "", ""
	q.Steps = make([]*Step, len(p.Steps))
	for i, s := range p.Steps {
		if s == nil {
			continue
		}
		c := *s
		c.Pos = Pos{}
		q.Steps[i] = &c
	}
	return json.NewEncoder(w).Encode(&q)
}

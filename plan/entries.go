package plan

import (
	"go.yaml.in/yaml/v3"
)

// rawStep is a step as written (a top-level step or a batch template).
type rawStep struct {
	src      *source
	node     *yaml.Node // the step's mapping
	id       string
	idNode   *yaml.Node
	kind     string
	kindNode *yaml.Node
	with     *yaml.Node     // the `with:` mapping, or nil
	withVal  map[string]any // value(with)
	needs    []*yaml.Node
	limits   []*yaml.Node
	retry    rawRetry
	timeout  Duration
	batch    *batch // nil for a top-level step

	// Filled by checkStep.
	ok      bool     // the kind exists and the step can be expanded
	targets []target // dependencies, explicit then implicit
	// itemDependent is set when `with:` uses item.*, so each item's copy
	// must be decoded and checked on its own.
	itemDependent bool
}

// batch is a batch block.
type batch struct {
	src      *source
	node     *yaml.Node
	name     string
	nameNode *yaml.Node
	forEach  *yaml.Node
	steps    []*rawStep
	items    []item
	fields   map[string]int // field name -> number of items that have it
}

// item is one element of a batch's for_each.
type item struct {
	key    string
	fields map[string]any
	pos    Pos
}

// readEntries reads a file's steps and registers their ids.
func (l *loader) readEntries(s *source) {
	_, seq := mapGet(s.root, "steps")
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return
	}
	d := l.fileDefaults(s)
	for _, n := range seq.Content {
		n = deref(n)
		if n == nil || n.Kind != yaml.MappingNode {
			l.nsteps++
			continue
		}
		if k, b := mapGet(n, "batch"); k != nil {
			l.readBatch(s, n, b, d)
			continue
		}
		l.nsteps++
		if st := l.readStep(s, n, d, nil); st != nil {
			l.entries = append(l.entries, &entry{step: st})
		}
	}
}

func (l *loader) readBatch(s *source, n, name *yaml.Node, d defaults) {
	b := &batch{src: s, node: n, nameNode: name}
	_, b.forEach = mapGet(n, "for_each")
	_, seq := mapGet(n, "steps")
	if seq != nil && seq.Kind == yaml.SequenceNode {
		for _, c := range seq.Content {
			l.nsteps++
			if c = deref(c); c != nil && c.Kind == yaml.MappingNode {
				if st := l.readStep(s, c, d, b); st != nil {
					b.steps = append(b.steps, st)
				}
			}
		}
	}
	if !isStr(name) || b.forEach == nil {
		return // the schema check reported it
	}
	b.name = name.Value
	if first, ok := l.batches[b.name]; ok {
		l.c.add(posOf(s.name, name), "batch %q is already defined at %s", b.name, posOf(first.src.name, first.nameNode))
		return
	}
	if st, ok := l.ids[b.name]; ok {
		l.c.add(posOf(s.name, name), "batch name %q is also a step id at %s", b.name, posOf(st.src.name, st.idNode))
		return
	}
	l.batches[b.name] = b
	l.entries = append(l.entries, &entry{batch: b})
}

// readStep reads one step mapping; it returns nil if the step has no
// usable id (the schema check reported why).
func (l *loader) readStep(s *source, n *yaml.Node, d defaults, b *batch) *rawStep {
	st := &rawStep{src: s, node: n, batch: b}
	_, st.idNode = mapGet(n, "id")
	if !isStr(st.idNode) || !isName(st.idNode.Value) {
		return nil
	}
	st.id = st.idNode.Value
	if _, k := mapGet(n, "kind"); isStr(k) {
		st.kind, st.kindNode = k.Value, k
	}
	if _, w := mapGet(n, "with"); w != nil && w.Kind == yaml.MappingNode {
		st.with = w
		st.withVal, _ = value(w).(map[string]any)
	}
	_, v := mapGet(n, "needs")
	st.needs = strList(v)
	_, v = mapGet(n, "limits")
	st.limits = strList(v)
	var r rawRetry
	if _, v := mapGet(n, "retry"); v != nil && !l.bad[v] {
		decodeInto(value(v), &r)
	}
	st.retry = r.over(d.retry)
	st.timeout = d.timeout
	if _, v := mapGet(n, "timeout"); v != nil && !l.bad[v] {
		decodeInto(value(v), &st.timeout)
	}
	if first, ok := l.ids[st.id]; ok {
		l.c.add(posOf(s.name, st.idNode), "duplicate step id %q (first defined at %s)", st.id, posOf(first.src.name, first.idNode))
		l.shadowed = append(l.shadowed, st) // checked all the same
		return nil
	}
	if b, ok := l.batches[st.id]; ok {
		l.c.add(posOf(s.name, st.idNode), "step id %q is also a batch name at %s", st.id, posOf(b.src.name, b.nameNode))
		l.shadowed = append(l.shadowed, st)
		return nil
	}
	l.ids[st.id] = st
	return st
}

// strList returns the string nodes of a list, or a lone string as a list
// of one (`needs: fetch`); the schema check reports anything else.
func strList(v *yaml.Node) []*yaml.Node {
	if v = deref(v); v == nil {
		return nil
	}
	if isStr(v) {
		return []*yaml.Node{v}
	}
	var out []*yaml.Node
	if v.Kind == yaml.SequenceNode {
		for _, c := range v.Content {
			if c = deref(c); isStr(c) {
				out = append(out, c)
			}
		}
	}
	return out
}

package plan

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/planrun/planrun/internal/suggest"
)

// target is one dependency of a raw step, resolved to concrete ids per item.
type target struct {
	ids      []string // fixed ids
	sameItem string   // a template of the step's own block: its copy for the same item
}

func (t target) resolve(key string) []string {
	if t.sameItem != "" {
		return []string{t.sameItem + "[" + key + "]"}
	}
	return t.ids
}

// checkStep checks a raw step's kind, limits, needs and expressions.
func (l *loader) checkStep(st *rawStep) {
	file := st.src.name
	where := fmt.Sprintf("step %q", st.id)
	if st.kindNode != nil {
		if _, ok := l.opts.Registry.Lookup(st.kind); ok {
			st.ok = true
		} else {
			names := l.opts.Registry.Names()
			hint := "no kinds are registered"
			if len(names) > 0 {
				hint = suggest.Prefix(st.kind, names) + "known kinds: " + strings.Join(names, ", ")
			}
			l.c.add(posOf(file, st.kindNode), "%s: unknown kind %q (%s)", where, st.kind, hint)
		}
	}
	for _, n := range st.limits {
		if _, ok := l.plan.Limits[n.Value]; !ok {
			hint := "the plan defines no limits"
			if len(l.plan.Limits) > 0 {
				hint = suggest.Prefix(n.Value, keys(l.plan.Limits)) + "pools: " + knownList(keys(l.plan.Limits))
			}
			l.c.add(posOf(file, n), "%s: unknown limits pool %q (%s)", where, n.Value, hint)
		}
	}
	for _, n := range st.needs {
		t, err := l.resolveStep(st, n.Value, true)
		if err != "" {
			l.c.add(posOf(file, n), "%s: needs: %s", where, err)
			continue
		}
		st.targets = append(st.targets, t)
	}
	if st.with != nil {
		l.checkExprs(st, st.with, 0)
	}
}

// unknownCopy says why ID[KEY] names no step: the item or the step is
// unknown.
func (l *loader) unknownCopy(id string) string {
	base, key, _ := strings.Cut(strings.TrimSuffix(id, "]"), "[")
	if dep, ok := l.ids[base]; ok && dep.batch != nil {
		var items []string
		for _, it := range dep.batch.items {
			items = append(items, it.key)
		}
		return fmt.Sprintf("unknown step %q: %s", id, noItem(dep.batch.name, key, items))
	}
	return fmt.Sprintf("unknown step %q%s", id, suggest.Hint(id, keys(l.copies)))
}

// resolveStep resolves what a `needs:` entry (need) or the step of a
// ${{ steps.ID.outputs.N }} reference names: a step id, ID[KEY], or a
// batch template (its copy for the same item inside its block). A need
// may also name a batch (every step of every item) or a template from
// outside its block (every copy); a reference must name one copy.
func (l *loader) resolveStep(st *rawStep, id string, need bool) (target, string) {
	if strings.Contains(id, "[") {
		if l.copies[id] {
			return target{ids: []string{id}}, ""
		}
		return target{}, l.unknownCopy(id)
	}
	if b, ok := l.batches[id]; ok {
		switch {
		case !need:
			return target{}, fmt.Sprintf("%q is a batch, not a step", id)
		case b == st.batch:
			return target{}, fmt.Sprintf("a step cannot need its own batch %q", id)
		}
		var ids []string
		for _, it := range b.items {
			for _, t := range b.steps {
				ids = append(ids, t.id+"["+it.key+"]")
			}
		}
		return target{ids: ids}, ""
	}
	dep, ok := l.ids[id]
	switch {
	case !ok:
		return target{}, fmt.Sprintf("unknown step %q%s", id, suggest.Hint(id, append(keys(l.ids), keys(l.batches)...)))
	case dep.batch == nil:
		return target{ids: []string{id}}, ""
	case dep.batch == st.batch:
		return target{sameItem: id}, ""
	case !need:
		return target{}, fmt.Sprintf("step %q is in batch %q: name one item, as steps.%s[KEY].outputs.NAME", id, dep.batch.name, id)
	}
	ids := make([]string, 0, len(dep.batch.items))
	for _, it := range dep.batch.items {
		ids = append(ids, id+"["+it.key+"]")
	}
	return target{ids: ids}, ""
}

// checkExprs checks every expression in the strings under n.
func (l *loader) checkExprs(st *rawStep, n *yaml.Node, depth int) {
	n = deref(n)
	if n == nil || depth > maxDepth {
		return
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 1; i < len(n.Content); i += 2 {
			l.checkExprs(st, n.Content[i], depth+1)
		}
		return
	case yaml.SequenceNode:
		for _, c := range n.Content {
			l.checkExprs(st, c, depth+1)
		}
		return
	}
	if !isStr(n) || !strings.Contains(n.Value, "${{") {
		return
	}
	where := fmt.Sprintf("step %q", st.id)
	refs, err := scanRefs(n.Value)
	if err != nil {
		l.c.add(l.exprPos(st.src.name, n, strings.Index(n.Value, "${{")), "%s: %v", where, err)
	}
	for _, r := range refs {
		pos := l.exprPos(st.src.name, n, r.Start)
		switch r.Scope {
		case "vars":
			if _, ok := l.plan.Vars[r.Name]; !ok {
				l.c.add(pos, "%s: unknown var %q%s", where, r.Name, suggest.Hint(r.Name, keys(l.plan.Vars)))
			}
		case "env":
			if _, ok := l.opts.Getenv(r.Name); !ok {
				l.c.add(pos, "%s: environment variable %s is not set", where, r.Name)
			}
		case "item":
			l.checkItemRef(st, pos, r)
		case "steps":
			t, msg := l.resolveStep(st, r.Step, false)
			if msg != "" {
				l.c.add(pos, "%s: %s", where, msg)
				continue
			}
			// A same-item reference only changes text inside an expression,
			// where config problems are not reported: not item-dependent.
			st.targets = append(st.targets, t)
		}
	}
}

func (l *loader) checkItemRef(st *rawStep, pos Pos, r ref) {
	where := fmt.Sprintf("step %q", st.id)
	b := st.batch
	if b == nil {
		l.c.add(pos, "%s: %s: item is only defined inside a batch", where, r.Text)
		return
	}
	st.itemDependent = true
	n := b.fields[r.Name]
	switch {
	case n == len(b.items):
		return
	case n == 0:
		hint := "items have no fields"
		if len(b.fields) > 0 {
			hint = suggest.Prefix(r.Name, keys(b.fields)) + "fields: " + knownList(keys(b.fields))
		}
		l.c.add(pos, "%s: unknown item field %q (%s)", where, r.Name, hint)
	default:
		var missing []string
		for _, it := range b.items {
			if _, ok := it.fields[r.Name]; !ok {
				missing = append(missing, it.key)
			}
		}
		l.c.add(pos, "%s: items %s have no field %q", where, listItems(missing), r.Name)
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// exprPos is the position of the expression that starts at byte off of
// scalar n's value: the same occurrence of "${{" found in the source line
// where the scalar starts (columns count characters, as yaml's do), or the
// scalar's start when the expression is not on that line.
func (l *loader) exprPos(file string, n *yaml.Node, off int) Pos {
	p := posOf(file, n)
	lines := l.lines[file]
	if off < 0 || n.Line < 1 || n.Line > len(lines) {
		return p
	}
	nth := strings.Count(n.Value[:off], "${{")
	// The value may span lines (a block scalar, whose text starts on the
	// line after its | or >, or a quoted string that wraps): look on as
	// many lines as it has, and one more.
	spans := strings.Count(n.Value, "\n") + 1
	if n.Style&(yaml.FoldedStyle|yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.FlowStyle) != 0 || n.Style == 0 {
		spans += len(strings.Fields(n.Value)) // folded lines were joined: at most a word a line
	}
	last := min(len(lines), n.Line+spans)
	for ln := n.Line; ln <= last; ln++ {
		line := []rune(lines[ln-1])
		start := 0
		if ln == n.Line {
			start = n.Column - 1
		}
		for c := max(start, 0); c+3 <= len(line); c++ {
			if string(line[c:c+3]) != "${{" {
				continue
			}
			if nth == 0 {
				p.Line, p.Col = ln, c+1
				return p
			}
			nth--
		}
	}
	return p
}

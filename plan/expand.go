package plan

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/planrun/planrun/internal/suggest"
	"github.com/planrun/planrun/schemas"
	"github.com/planrun/planrun/steps"
)

// expand turns entries into Steps (a batch: each item's copies of its
// steps, item by item) and checks each step's typed config. The checks are
// independent, so they run on every CPU; problems are reported in order.
func (l *loader) expand() {
	var jobs []*configJob
	for _, e := range l.entries {
		if st := e.step; st != nil {
			if st.ok {
				jobs = append(jobs, &configJob{st: st, s: l.newStep(st, nil)})
			}
			continue
		}
		b := e.batch
		first := map[*rawStep]*configJob{}
		for i := range b.items {
			it := &b.items[i]
			for _, st := range b.steps {
				if !st.ok {
					continue
				}
				j := &configJob{st: st, s: l.newStep(st, it)}
				// Copies of a template whose config does not depend on the
				// item are checked once.
				if !st.itemDependent {
					if f, ok := first[st]; ok {
						j.same = f
					} else {
						first[st] = j
					}
				}
				jobs = append(jobs, j)
			}
		}
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(jobs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1) - 1; i < int64(len(jobs)); i = next.Add(1) - 1 {
				if j := jobs[i]; j.same == nil {
					j.res = l.configProblems(j.st, j.s)
				}
			}
		}()
	}
	wg.Wait()
	for _, j := range jobs {
		res := j.res
		if j.same != nil {
			res = j.same.res
		}
		j.s.Host = res.host
		for _, p := range res.problems {
			l.c.addStep(p.pos, j.s, j.st.id, "%s", p.msg)
		}
	}
}

// configJob is the config check of one expanded step.
type configJob struct {
	st   *rawStep
	s    *Step
	res  *configResult
	same *configJob // a copy of the same template whose result applies
}

// newStep makes the Step for st (and item it, in a batch).
func (l *loader) newStep(st *rawStep, it *item) *Step {
	s := &Step{
		ID:      st.id,
		Kind:    st.kind,
		Retry:   st.retry.policy(),
		Timeout: st.timeout,
		Pos:     posOf(st.src.name, st.node),
	}
	key := ""
	if it != nil {
		key = it.key
		s.ID += "[" + key + "]"
		s.Batch, s.Item = st.batch.name, key
	}
	seen := map[string]bool{}
	for _, t := range st.targets {
		for _, id := range t.resolve(key) {
			if !seen[id] {
				seen[id] = true
				s.Needs = append(s.Needs, id)
			}
		}
	}
	for _, n := range st.limits {
		s.Limits = append(s.Limits, n.Value)
	}
	if st.withVal != nil {
		w, _ := substituteAll(st.withVal, func(r ref) (any, bool) {
			switch r.Scope {
			case "vars":
				v, ok := l.plan.Vars[r.Name]
				return v, ok
			case "item":
				if it == nil {
					return nil, false
				}
				v, ok := it.fields[r.Name]
				if s, isStr := v.(string); isStr && strings.Contains(s, "${{") {
					// An item value may use vars (substituted now) and env.
					v, _ = substitute(s, func(r ref) (any, bool) {
						if r.Scope != "vars" {
							return nil, false
						}
						v, ok := l.plan.Vars[r.Name]
						return v, ok
					})
				}
				return v, ok
			case "steps":
				if d, ok := l.ids[r.Step]; ok && it != nil && d.batch == st.batch {
					return fmt.Sprintf("${{ steps.%s[%s].outputs.%s }}", r.Step, key, r.Name), true
				}
			}
			return nil, false
		})
		if m := w.(map[string]any); len(m) > 0 {
			s.With = m
		}
	}
	l.plan.Steps = append(l.plan.Steps, s)
	l.steps[s] = st
	return s
}

// configResult is what checking one step's config found.
type configResult struct {
	problems []configProblem
	host     string
}

type configProblem struct {
	pos Pos
	msg string
}

// configProblems decodes s.With into its kind's typed config and runs the
// kind's own checks, finding problems at their fields. Problems at values
// that still hold an expression are skipped (they are resolved at run
// time). It only reads the loader, so calls may run concurrently.
func (l *loader) configProblems(st *rawStep, s *Step) *configResult {
	res := &configResult{}
	if s.With == nil && schemas.WithRequired(st.kind) {
		return res // reported as a missing "with", not as each parameter missing
	}
	kind, _ := l.opts.Registry.Lookup(st.kind)
	cfg := kind.NewConfig()
	var with any = s.With
	if s.With == nil {
		with = map[string]any{}
	}
	add := func(path []string, key, msg string) {
		if v, ok := valueAt(with, path); ok && hasExpr(v) && key == "" {
			return
		}
		node, keyNode, found := locate(st.with, path)
		if l.bad[node] && (found || key != "") {
			return // the schema check already reported this field
		}
		at := node
		if key != "" {
			if k, _ := mapGet(node, key); k != nil {
				at = k
			}
		} else if !found && keyNode != nil {
			at = keyNode
		}
		if at == nil {
			at = st.node
		}
		res.problems = append(res.problems, configProblem{posOf(st.src.name, at), fieldMsg(path, msg)})
	}
	for _, e := range decodeInto(with, cfg) {
		add(e.path, e.key, e.msg)
	}
	if st.withVal != nil && s.With != nil {
		for _, e := range substitutedProblems(st.kind, st.withVal, s.With) {
			add(e.path, e.key, e.msg)
		}
	}
	if v, ok := kind.(steps.Validator); ok {
		for _, e := range v.Validate(cfg) {
			add(splitPath(e.Path), "", e.Msg)
		}
	}
	if hu, ok := kind.(steps.HostUser); ok {
		for _, r := range hu.HostRefs(cfg) {
			if strings.Contains(r.Host, "${{") {
				continue
			}
			// The host a step is shown with: the first it names other
			// than this machine (a transfer from local to a cluster is
			// that cluster's), else this machine.
			if res.host == "" || res.host == "local" && r.Host != "local" {
				res.host = r.Host
			}
			if _, ok := l.plan.Hosts[r.Host]; !ok && r.Host != "local" {
				known := append(keys(l.plan.Hosts), "local")
				add(splitPath(r.Path), "", fmt.Sprintf("unknown host %q (%shosts: %s)", r.Host, suggest.Prefix(r.Host, known), knownList(known)))
			}
		}
	}
	return res
}

// fieldMsg prefixes msg with the field's path inside with:.
func fieldMsg(path []string, msg string) string {
	var b strings.Builder
	b.WriteString("with")
	for _, p := range path {
		if isIndex(p) {
			b.WriteString("[" + p + "]")
		} else {
			b.WriteString("." + p)
		}
	}
	return b.String() + ": " + msg
}

func isIndex(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

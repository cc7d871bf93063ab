package plan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Drift is how a new plan differs from the frozen plan of a run.
type Drift struct {
	Added        []string // step ids only in the new plan, in its order
	Removed      []string // step ids only in the old plan, in its order
	NeedsChanged []string // steps in both whose needs differ
	ParamChanged []string // steps in both whose kind or `with:` differ, or whose host moved
	// MovedHosts are the steps of ParamChanged whose parameters are the
	// same but a host they use now points elsewhere: step id -> host.
	MovedHosts map[string]string
	// StructureChanged is set when ids or needs differ: resume then needs
	// --accept-drift.
	StructureChanged bool

	lines []string // the unified-style diff
}

// Changed returns the steps in both plans that the new one changed: their
// parameters (or where their hosts are), then their needs. They, and what
// follows them, run again.
func (d Drift) Changed() []string {
	return append(slices.Clone(d.ParamChanged), d.NeedsChanged...)
}

// Empty reports whether the plans run the same steps the same way.
func (d Drift) Empty() bool { return !d.StructureChanged && len(d.ParamChanged) == 0 }

// String is a readable unified-style diff: "-"/"+" lines for removed,
// added and re-wired steps, "~" for steps whose parameters changed.
func (d Drift) String() string {
	if d.Empty() {
		return "no changes\n"
	}
	return "--- checkpoint plan\n+++ new plan\n" + strings.Join(d.lines, "\n") + "\n"
}

// Diff compares the frozen plan of a run (old) with a new plan.
func Diff(old, new *Plan) Drift {
	var d Drift
	olds := make(map[string]*Step, len(old.Steps))
	for _, s := range old.Steps {
		olds[s.ID] = s
	}
	news := make(map[string]*Step, len(new.Steps))
	for _, s := range new.Steps {
		news[s.ID] = s
	}
	for _, s := range old.Steps {
		n, ok := news[s.ID]
		if !ok {
			d.Removed = append(d.Removed, s.ID)
			d.lines = append(d.lines, "-"+describeStep(s))
			continue
		}
		if !sameSet(s.Needs, n.Needs) {
			d.NeedsChanged = append(d.NeedsChanged, s.ID)
			d.lines = append(d.lines, "-"+describeStep(s), "+"+describeStep(n))
		}
		if s.Kind != n.Kind || !sameJSON(s.With, n.With) {
			d.ParamChanged = append(d.ParamChanged, s.ID)
			d.lines = append(d.lines, fmt.Sprintf("~step %s: parameters changed", s.ID))
		} else if h := movedHost(old, new, n); h != "" {
			// Same parameters, another machine or directory: a step's
			// fingerprint names its hosts, not where they are.
			d.ParamChanged = append(d.ParamChanged, s.ID)
			if d.MovedHosts == nil {
				d.MovedHosts = map[string]string{}
			}
			d.MovedHosts[s.ID] = h
			d.lines = append(d.lines, fmt.Sprintf("~step %s: host %s now points elsewhere", s.ID, h))
		}
	}
	for _, s := range new.Steps {
		if _, ok := olds[s.ID]; !ok {
			d.Added = append(d.Added, s.ID)
			d.lines = append(d.lines, "+"+describeStep(s))
		}
	}
	d.StructureChanged = len(d.Added)+len(d.Removed)+len(d.NeedsChanged) > 0
	return d
}

func describeStep(s *Step) string {
	if len(s.Needs) == 0 {
		return fmt.Sprintf("step %s (%s)", s.ID, s.Kind)
	}
	return fmt.Sprintf("step %s (%s) needs %s", s.ID, s.Kind, strings.Join(s.Needs, ", "))
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

func sameJSON(a, b map[string]any) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}

// movedHost returns a host s uses that is somewhere else in new than in
// old (see hostPlace), or "".
func movedHost(old, new *Plan, s *Step) string {
	var found string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			name := x
			if i := strings.IndexByte(x, ':'); i > 0 {
				name = x[:i]
			}
			if found == "" && hostPlace(old, name) != hostPlace(new, name) {
				found = name
			}
		case map[string]any:
			for _, k := range slices.Sorted(maps.Keys(x)) {
				walk(x[k])
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(s.Host)
	walk(s.With)
	return found
}

// hostPlace is what says where host name is in p: its address, ssh
// config, root, FATE base and FATE Flow URL (not how planrun logs in or
// how long it waits).
func hostPlace(p *Plan, name string) string {
	h, ok := p.Hosts[name]
	if !ok {
		return ""
	}
	return strings.Join([]string{h.SSH, h.SSHConfig, h.Root, h.FateBase, h.Flow}, "\x00")
}

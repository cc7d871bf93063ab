package plan

import (
	"os"
	"path/filepath"

	"github.com/planrun/planrun/hosts"
	"github.com/planrun/planrun/steps"
	"go.yaml.in/yaml/v3"
)

// Options configure Load.
type Options struct {
	// Registry holds the step kinds the plan may use.
	Registry *steps.Registry
	// Getenv looks up environment variables for ${{ env.NAME }} (which
	// must be set when the plan is loaded); nil means os.LookupEnv.
	Getenv func(string) (string, bool)
}

// loader is the state of one Load.
type loader struct {
	opts    Options
	c       collector
	bad     map[*yaml.Node]bool // nodes with a schema problem, and their ancestors
	plan    *Plan
	varPos  map[string]Pos
	hostPos map[string]Pos
	poolPos map[string]Pos
	entries []*entry
	ids     map[string]*rawStep // top-level steps and batch templates
	// shadowed are steps left out for their id (a duplicate, a batch's
	// name): not in the plan, but checked for every other problem
	shadowed []*rawStep
	batches  map[string]*batch
	copies   map[string]bool // every expanded batch step id
	nsteps   int             // raw steps seen, including malformed ones
	steps    map[*Step]*rawStep
	lines    map[string][]string // each file's lines, for expression columns
	dir      string              // the first plan file's directory, as given
}

// entry is one element of a file's steps: a step or a batch block.
type entry struct {
	step  *rawStep
	batch *batch
}

// newLoader is an empty loader for one Load (or LoadInventory).
func newLoader(opts Options) *loader {
	return &loader{
		opts:    opts,
		bad:     map[*yaml.Node]bool{},
		plan:    &Plan{Vars: map[string]string{}, Hosts: map[string]hosts.Spec{}, Limits: map[string]int{}},
		varPos:  map[string]Pos{},
		hostPos: map[string]Pos{},
		poolPos: map[string]Pos{},
		ids:     map[string]*rawStep{},
		batches: map[string]*batch{},
		copies:  map[string]bool{},
		steps:   map[*Step]*rawStep{},
		lines:   map[string][]string{},
	}
}

// Load reads, checks and expands the plan files (their steps, vars, hosts
// and limits are merged; most callers pass one file). On any problem it
// returns Errors, holding every problem found, sorted by position.
func Load(files []string, opts Options) (*Plan, error) {
	if opts.Getenv == nil {
		opts.Getenv = os.LookupEnv
	}
	if opts.Registry == nil {
		opts.Registry = steps.NewRegistry()
	}
	l := newLoader(opts)
	if len(files) == 0 {
		l.c.add(Pos{}, "load plan: no plan file given")
		return nil, l.c.result()
	}
	var srcs []*source
	for _, f := range files {
		if s := l.readSource(f); s != nil {
			if len(srcs) == 0 { // the first file's directory: hosts' paths need it
				l.plan.File, l.plan.BaseDir, l.dir = s.name, s.dir, s.dir
				if abs, err := filepath.Abs(s.dir); err == nil {
					l.plan.BaseDir = abs
				}
			}
			srcs = append(srcs, s)
			l.sections(s)
		}
	}
	for _, s := range srcs {
		l.readEntries(s)
	}
	l.checkHostLinks()
	if len(srcs) > 0 && l.nsteps == 0 {
		s := srcs[0]
		pos := Pos{File: s.name, Line: 1, Col: 1}
		if k, _ := mapGet(s.root, "steps"); k != nil {
			pos = posOf(s.name, k)
		}
		l.c.add(pos, "plan has no steps")
	}
	for _, e := range l.entries {
		if e.batch != nil {
			l.loadItems(e.batch)
		}
	}
	l.registerCopies()
	for _, e := range l.entries {
		if e.step != nil {
			l.checkStep(e.step)
			continue
		}
		for _, t := range e.batch.steps {
			l.checkStep(t)
		}
	}
	// Steps left out for their id are checked too: every problem at once.
	for _, st := range l.shadowed {
		l.checkStep(st)
	}
	l.expand()
	l.checkGraph()
	if len(l.plan.Steps) == 0 && l.nsteps > 0 && l.c.result() == nil {
		// Every step is in batches without items (a CSV export with its
		// header only): a run would do nothing and pass.
		for _, e := range l.entries {
			if e.batch != nil && len(e.batch.items) == 0 {
				l.c.add(posOf(e.batch.src.name, e.batch.forEach), "batch %q has no items: the plan has no step to run", e.batch.name)
			}
		}
	}
	if errs := l.c.result(); errs != nil {
		return nil, errs
	}
	if len(l.plan.Vars) == 0 {
		l.plan.Vars = nil
	}
	if len(l.plan.Hosts) == 0 {
		l.plan.Hosts = nil
	}
	if len(l.plan.Limits) == 0 {
		l.plan.Limits = nil
	}
	l.plan.Hash = l.plan.ComputeHash()
	return l.plan, nil
}

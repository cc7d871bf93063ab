package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/planrun/planrun/plan"
	"github.com/planrun/planrun/runner/checkpoint"
)

// applyFlags are the flags of `planrun apply`.
type applyFlags struct {
	state string
	only  []string
	sched runFlags
	out   outputFlags
}

func newApplyCmd(s streams) *cobra.Command {
	f := &applyFlags{}
	cmd := &cobra.Command{
		Use:   "apply PLAN",
		Short: "Run a plan",
		Long: `Run a plan: validate it, then run its steps as a dependency graph, recording
every state change in the state directory (a new run under runs/<run-id>).

Run ids are UTC timestamps (20261125T193000.123456Z): they sort by time. Steps
whose last recorded state (in the newest run that recorded them) is a success
with the same id and the same fingerprint (kind, parameters and the outputs
of what they use) are not run again ("already done"), whatever else in the
plan changed: edit a plan and apply it again, and only what the edit touches
runs; apply --only some steps, then the whole plan, and the rest is still done.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runApply(cmd.Context(), s, f, args[0], commandLine(cmd, args))
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&f.state, "state", defaultState, "state `DIR`")
	fs.StringSliceVar(&f.only, "only", nil, "run only these steps and what they need: a step `ID`, ID[KEY] (one item), a batch step's id or a batch name (all items)")
	f.sched.add(fs)
	f.out.add(fs)
	cmd.RegisterFlagCompletionFunc("only", completePlanSteps)
	return cmd
}

func runApply(ctx context.Context, s streams, f *applyFlags, file, command string) (err error) {
	// Signals are handled from the start: one that comes while a large
	// plan loads stops the command before anything is written (exit 130).
	ctx, stop := interruptible(ctx, s.err)
	defer stop()
	tuneGC()
	reg := kindRegistry()
	early := stoppedEarly(s, f.out.junit)
	defer func() { early.report(err) }()
	p, err := loadPlan(file, reg, early.stderr)
	if err != nil {
		return err
	}
	early.name = p.Name
	only, err := selectSteps(p, "--only", f.only)
	if err != nil {
		return err
	}
	if err := checkRunFlags(f.sched, f.out); err != nil {
		return err
	}
	if err := notInterrupted(ctx); err != nil {
		return err
	}
	st, lock, err := openState(ctx, f.state, command)
	if err != nil {
		return err
	}
	defer lock.Unlock()
	prior, last, err := priorOf(ctx, st, p)
	if err != nil {
		return stateError(err)
	}
	var force []string
	if last != nil && last.Hash != p.Hash {
		// An edited plan: what the edit changed, and everything after
		// it, runs again, as with resume --plan (a step whose host now
		// points elsewhere keeps its fingerprint, so it must be told).
		changed := plan.Diff(last, p).Changed()
		force = plan.DownstreamOf(p, changed)
		if n := len(changed); n > 0 {
			names := changed[:min(n, 5)]
			more := ""
			if n > len(names) {
				more = fmt.Sprintf(" and %d more", n-len(names))
			}
			after := ""
			if k := len(force) - n; k > 0 {
				after = fmt.Sprintf(", with the %s after them", count(k, "step"))
			}
			fmt.Fprintf(s.err, "planrun: %d step(s) changed since the last run (%s%s); they run again%s\n",
				n, strings.Join(names, ", "), more, after)
		}
	}
	if p.StateDir, err = filepath.Abs(f.state); err != nil {
		return &exitError{Code: exitUsage, Err: fmt.Errorf("--state: %w", err)}
	}
	if err := notInterrupted(ctx); err != nil {
		return err
	}
	run, err := createRun(ctx, st, p)
	if err != nil {
		return stateError(err)
	}
	defer run.Close()
	x := &execution{store: st, run: run, plan: p, reg: reg, prior: prior, force: force, only: only, sched: f.sched, out: f.out, command: command}
	early.ran = true
	return x.execute(ctx, s)
}

// priorOf gives each step of p its state in the newest run that recorded
// it, and returns the plan of the newest run that recorded any step. A
// run that touched only some steps (apply --only, or one stopped at once)
// leaves the successes of the others, recorded in older runs, in force:
// a later apply does not run them again. Runs are read newest first, and
// only until every step of p is found (usually one: the latest run
// records every step). Successes count for steps with the same id and
// fingerprint, whichever plan ran them.
func priorOf(ctx context.Context, st checkpoint.Store, p *plan.Plan) (map[string]*checkpoint.StepState, *plan.Plan, error) {
	runs, err := st.Runs(ctx)
	if err != nil || len(runs) == 0 {
		return nil, nil, err
	}
	prior := map[string]*checkpoint.StepState{}
	last, err := addPrior(ctx, st, runs, p, prior)
	return prior, last, err
}

// addPrior reads runs newest first (see priorOf), adding to prior the state
// of each step of p that it has none for yet, until every step has one. It
// returns the plan of the newest run that recorded any step. A run it must
// read that cannot be read is an error (its successes would be run again).
func addPrior(ctx context.Context, st checkpoint.Store, runs []string, p *plan.Plan, prior map[string]*checkpoint.StepState) (*plan.Plan, error) {
	missing := 0
	for _, s := range p.Steps {
		if prior[s.ID] == nil {
			missing++
		}
	}
	var last *plan.Plan
	for i := len(runs) - 1; i >= 0 && missing > 0; i-- {
		d, err := st.LoadRun(ctx, runs[i])
		if err != nil {
			return nil, err
		}
		folded := checkpoint.Fold(d.Events)
		if len(folded) > 0 && last == nil {
			last = d.Plan
		}
		for _, s := range p.Steps {
			if ss := folded[s.ID]; ss != nil && prior[s.ID] == nil {
				prior[s.ID] = ss
				missing--
			}
		}
	}
	return last, nil
}

// createRun creates a run with a fresh time-based id (a later microsecond
// if that id is taken).
func createRun(ctx context.Context, st checkpoint.Store, p *plan.Plan) (checkpoint.Run, error) {
	t := time.Now()
	for range 100 {
		r, err := st.CreateRun(ctx, checkpoint.NewRunID(t), p)
		if err == nil || !errors.Is(err, fs.ErrExist) {
			return r, err
		}
		t = t.Add(time.Microsecond)
	}
	return nil, errors.New("create run: no free run id")
}

// selectSteps expands the step names given to flag (see plan.Select); a
// name that matches no step is a usage error.
func selectSteps(p *plan.Plan, flag string, names []string) ([]string, error) {
	var ids []string
	for _, n := range names {
		sel, ok, hint := p.Select(n)
		if !ok {
			return nil, &exitError{Code: exitUsage, Err: fmt.Errorf("%s: plan has no step or batch %q%s", flag, n, hint)}
		}
		ids = append(ids, sel...)
	}
	return ids, nil
}

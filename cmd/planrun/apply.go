package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
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

Run ids are UTC timestamps (20261125T193000.123456Z): they sort by time. When
the latest run in the state ran the same plan (same hash), steps that
succeeded there with the same fingerprint are not run again ("already done").`,
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

func runApply(ctx context.Context, s streams, f *applyFlags, file, command string) error {
	tuneGC()
	reg := kindRegistry()
	p, err := loadPlan(file, reg, s.err)
	if err != nil {
		return err
	}
	only, err := selectSteps(p, "--only", f.only)
	if err != nil {
		return err
	}
	st, lock, err := openState(ctx, f.state, command)
	if err != nil {
		return err
	}
	defer lock.Unlock()
	prior, err := priorOfSamePlan(ctx, st, p.Hash)
	if err != nil {
		return stateError(err)
	}
	if p.StateDir, err = filepath.Abs(f.state); err != nil {
		return &exitError{Code: exitUsage, Err: fmt.Errorf("--state: %w", err)}
	}
	run, err := createRun(ctx, st, p)
	if err != nil {
		return stateError(err)
	}
	defer run.Close()
	x := &execution{store: st, run: run, plan: p, reg: reg, prior: prior, only: only, sched: f.sched, out: f.out, command: command}
	return x.execute(ctx, s)
}

// priorOfSamePlan folds the latest run if it ran the plan with this hash
// (only the latest: older runs are history, and reading them all would
// make every apply slower as runs pile up).
func priorOfSamePlan(ctx context.Context, st checkpoint.Store, hash string) (map[string]*checkpoint.StepState, error) {
	id, err := checkpoint.Latest(ctx, st)
	if errors.Is(err, checkpoint.ErrNoRuns) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	d, err := st.LoadRun(ctx, id)
	if err != nil {
		return nil, err
	}
	if d.Plan.Hash != hash {
		return nil, nil
	}
	return checkpoint.Fold(d.Events), nil
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

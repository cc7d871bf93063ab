package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/planrun/planrun/internal/suggest"
	"github.com/planrun/planrun/internal/view"
	"github.com/planrun/planrun/runner"
	"github.com/planrun/planrun/runner/checkpoint"
)

// statusFlags are the flags of `planrun status`.
type statusFlags struct {
	state  string
	run    string
	runs   bool
	asJSON bool
	states []string // --filter
	items  []string // --item
}

// stepStates are the states status shows a step in.
var stepStates = []string{checkpoint.StatusPending, "running", checkpoint.StatusSucceeded, checkpoint.StatusFailed,
	checkpoint.StatusSkipped, checkpoint.StatusInterrupted, checkpoint.StatusUnknown}

// filterSteps sets status.Filter from --filter and --item; a state or item
// that cannot match is a usage error.
func (f *statusFlags) filterSteps(status *view.Status) error {
	if len(f.states) == 0 && len(f.items) == 0 {
		return nil
	}
	for _, st := range f.states {
		if !slices.Contains(stepStates, st) {
			return &exitError{Code: exitUsage, Err: fmt.Errorf("--filter: no state %q (%sstates: %s)", st,
				suggest.Prefix(st, stepStates), strings.Join(stepStates, ", "))}
		}
	}
	known := map[string]bool{}
	var keys []string
	for _, st := range status.Steps {
		if st.Item != "" && !known[st.Item] {
			known[st.Item] = true
			keys = append(keys, st.Item)
		}
	}
	for _, it := range f.items {
		if !known[it] {
			return &exitError{Code: exitUsage, Err: fmt.Errorf("--item: the run has no item %q%s", it, suggest.Hint(it, keys))}
		}
	}
	status.Filter = &view.StatusFilter{States: f.states, Items: f.items}
	return nil
}

func newStatusCmd(s streams) *cobra.Command {
	f := &statusFlags{}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show each step's state in the latest run",
		Long: `Show the latest run of the state directory (--run ID: an earlier one): each
step's state, attempts, times, outputs and last error. It only reads the
state.

In a large batch, --filter failed lists only the steps that failed (and
their errors), and --item KEY one item's chain of steps.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := checkpoint.OpenFile(f.state)
			if err != nil {
				return stateError(err)
			}
			id, runs, err := pickRun(cmd.Context(), st, f.state, f.run)
			if err != nil {
				return err
			}
			if f.runs {
				if f.run != "" || len(f.states) > 0 || len(f.items) > 0 {
					return &exitError{Code: exitUsage, Err: errors.New("--runs lists every run: not with --run, --filter or --item")}
				}
				all := make([]view.Status, 0, len(runs))
				var bad []error
				for _, r := range runs {
					rs, err := loadStatus(cmd.Context(), st, r, r == id)
					if err != nil {
						// Listed as unreadable; the others are still
						// worth seeing.
						bad = append(bad, err)
						rs = view.Status{Run: r, State: "unreadable"}
					}
					all = append(all, rs)
				}
				if err := view.RenderRuns(s.out, all, f.asJSON); err != nil {
					return &exitError{Code: exitStepFailed, Err: err}
				}
				if len(bad) > 0 {
					return stateError(errors.Join(bad...))
				}
				return nil
			}
			status, err := loadStatus(cmd.Context(), st, id, id == runs[len(runs)-1])
			if err != nil {
				return stateError(err)
			}
			if err := f.filterSteps(&status); err != nil {
				return err
			}
			if err := view.RenderStatus(s.out, status, f.asJSON); err != nil {
				return &exitError{Code: exitStepFailed, Err: err}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&f.state, "state", defaultState, "state `DIR`")
	cmd.Flags().StringVar(&f.run, "run", "", "show run `ID` instead of the latest")
	cmd.Flags().BoolVar(&f.runs, "runs", false, "list every run of the state directory, one line each")
	cmd.Flags().BoolVar(&f.asJSON, "json", false, "print JSON")
	cmd.Flags().StringSliceVar(&f.states, "filter", nil, "list only steps in these `STATE`s (pending, running, succeeded, failed, skipped, interrupted, unknown); the counts cover every step")
	cmd.Flags().StringSliceVar(&f.items, "item", nil, "list only the steps of these batch item `KEY`s")
	cmd.RegisterFlagCompletionFunc("run", completeRuns)
	cmd.RegisterFlagCompletionFunc("item", completeItems)
	cmd.RegisterFlagCompletionFunc("filter", completeStates)
	return cmd
}

// loadStatus builds the status of run id; only the latest run may be
// running (the state directory's lock says whether it is).
func loadStatus(ctx context.Context, st *checkpoint.FileStore, id string, latest bool) (view.Status, error) {
	d, err := st.LoadRun(ctx, id)
	if err != nil {
		return view.Status{}, err
	}
	live := latest && isLocked(st)
	s := view.Status{Run: id, Plan: d.Plan.Name}
	for _, e := range d.Events {
		switch e.Type {
		case checkpoint.RunStarted:
			if s.Started.IsZero() {
				s.Started = e.Time
			}
			s.Finished, s.State = time.Time{}, ""
		case checkpoint.RunFinished:
			s.Finished, s.State = e.Time, e.Status
		}
	}
	if s.State == "" {
		s.State = "crashed"
		if live {
			s.State = "running"
		}
	}
	fold := checkpoint.Fold(d.Events)
	// Steps this run has no record of (an apply --only, or one killed
	// before it recorded what was already done) show their state in the
	// runs before it, as resume and apply take it.
	merged := maps.Clone(fold)
	earlier, err := earlierPrior(ctx, st, id, d.Plan, merged)
	if err == nil {
		fold = merged
	}
	for _, step := range d.Plan.Steps {
		ss := view.StepStatus{ID: step.ID, Kind: step.Kind, Host: step.Host, Batch: step.Batch, Item: step.Item, State: checkpoint.StatusPending}
		if f, ok := fold[step.ID]; ok {
			ss.State, ss.Attempts, ss.Started, ss.Finished, ss.Outputs, ss.Error = f.Status, f.Attempt, f.Started, f.Finished, f.Outputs, f.Error
			switch f.Status {
			case checkpoint.StatusUnknown, checkpoint.StatusRetrying:
				if live && !earlier[step.ID] {
					ss.State = "running"
				} else if f.Status == checkpoint.StatusRetrying {
					ss.State = checkpoint.StatusFailed
				}
			}
			if f.AlreadyDone || earlier[step.ID] && f.Status == checkpoint.StatusSucceeded {
				ss.Error, ss.AlreadyDone = "", true
			}
		}
		s.Steps = append(s.Steps, ss)
	}
	if s.State == runner.StatusOK {
		// The last invocation ended well, but it may have been a resume
		// --only that left failed steps of the run as they were: the run
		// is not ok while any step failed, was skipped or is unknown.
		for _, ss := range s.Steps {
			switch ss.State {
			case checkpoint.StatusFailed, checkpoint.StatusSkipped, checkpoint.StatusUnknown, checkpoint.StatusInterrupted:
				s.State = runner.StatusFailed
			}
		}
	}
	return s, nil
}

// isLocked reports whether a live run holds the state's lock, from the
// holder record (status never takes the lock, so it cannot get in a run's
// way).
func isLocked(st *checkpoint.FileStore) bool {
	h, ok := st.Holder()
	if !ok {
		return false
	}
	if host, _ := os.Hostname(); h.Host != host {
		return true
	}
	return syscall.Kill(h.PID, 0) == nil
}

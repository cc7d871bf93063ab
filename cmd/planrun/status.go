package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/planrun/planrun/internal/view"
	"github.com/planrun/planrun/runner/checkpoint"
)

// statusFlags are the flags of `planrun status`.
type statusFlags struct {
	state  string
	asJSON bool
}

func newStatusCmd(s streams) *cobra.Command {
	f := &statusFlags{}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show each step's state in the latest run",
		Long: `Show the latest run of the state directory: each step's state, attempts,
times, outputs and last error. It only reads the state.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := checkpoint.OpenFile(f.state)
			if err != nil {
				return stateError(err)
			}
			status, err := loadStatus(cmd.Context(), st)
			if errors.Is(err, checkpoint.ErrNoRuns) {
				return &exitError{Code: exitUsage, Err: fmt.Errorf("no run recorded in %s", f.state)}
			}
			if err != nil {
				return stateError(err)
			}
			if err := view.RenderStatus(s.out, status, f.asJSON); err != nil {
				return &exitError{Code: exitStepFailed, Err: err}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&f.state, "state", defaultState, "state `DIR`")
	cmd.Flags().BoolVar(&f.asJSON, "json", false, "print JSON")
	return cmd
}

// loadStatus builds the status of the latest run.
func loadStatus(ctx context.Context, st *checkpoint.FileStore) (view.Status, error) {
	id, err := checkpoint.Latest(ctx, st)
	if err != nil {
		return view.Status{}, err
	}
	d, err := st.LoadRun(ctx, id)
	if err != nil {
		return view.Status{}, err
	}
	live := isLocked(st)
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
	for _, step := range d.Plan.Steps {
		ss := view.StepStatus{ID: step.ID, Kind: step.Kind, Host: step.Host, Batch: step.Batch, Item: step.Item, State: checkpoint.StatusPending}
		if f, ok := fold[step.ID]; ok {
			ss.State, ss.Attempts, ss.Started, ss.Finished, ss.Outputs, ss.Error = f.Status, f.Attempt, f.Started, f.Finished, f.Outputs, f.Error
			switch f.Status {
			case checkpoint.StatusUnknown, checkpoint.StatusRetrying:
				if live {
					ss.State = "running"
				} else if f.Status == checkpoint.StatusRetrying {
					ss.State = checkpoint.StatusFailed
				}
			}
			if f.AlreadyDone {
				ss.Error, ss.AlreadyDone = "", true
			}
		}
		s.Steps = append(s.Steps, ss)
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

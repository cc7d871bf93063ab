package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/planrun/planrun/internal/suggest"
	"github.com/planrun/planrun/runner/checkpoint"
)

// logsFlags are the flags of `planrun logs`.
type logsFlags struct {
	state   string
	run     string
	attempt int
	all     bool
}

func newLogsCmd(s streams) *cobra.Command {
	f := &logsFlags{}
	cmd := &cobra.Command{
		Use:   "logs STEP...",
		Short: "Print the log of a step's attempt (what it printed, and why it failed)",
		Long: `Print a step's log from the latest run of the state directory (--run ID:
another run): the output of its last attempt, --attempt N of one attempt,
--all of every attempt. STEP is what --only takes: a step id, ID[KEY] for
one item's copy of a batch step, a batch step's id (every item's copy) or a
batch name. A step carried over as already done from an earlier run is shown
from the run where it ran. Secrets were redacted when the log was written.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLogs(cmd.Context(), s, f, args)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&f.state, "state", defaultState, "state `DIR`")
	fs.StringVar(&f.run, "run", "", "read run `ID` instead of the latest")
	fs.IntVar(&f.attempt, "attempt", 0, "print attempt `N` (default: the last)")
	fs.BoolVar(&f.all, "all", false, "print every attempt")
	cmd.ValidArgsFunction = completeRunSteps
	cmd.RegisterFlagCompletionFunc("run", completeRuns)
	cmd.RegisterFlagCompletionFunc("attempt", completeNone)
	return cmd
}

// stepLog is one attempt's log to print.
type stepLog struct {
	step, run string
	attempt   int
}

func runLogs(ctx context.Context, s streams, f *logsFlags, args []string) error {
	if f.attempt < 0 || (f.attempt > 0 && f.all) {
		return &exitError{Code: exitUsage, Err: errors.New("--attempt takes a number from 1, and not with --all")}
	}
	st, err := checkpoint.OpenFile(f.state)
	if err != nil {
		return stateError(err)
	}
	id, runs, err := pickRun(ctx, st, f.state, f.run)
	if err != nil {
		return err
	}
	d, err := st.LoadRun(ctx, id)
	if err != nil {
		return stateError(err)
	}
	var ids []string
	for _, a := range args {
		sel, ok, hint := d.Plan.Select(a)
		if !ok {
			return &exitError{Code: exitUsage, Err: fmt.Errorf("run %s has no step or batch %q%s", id, a, hint)}
		}
		ids = append(ids, sel...)
	}
	fold := checkpoint.Fold(d.Events)
	earlier := earlierStarts{ctx: ctx, st: st, runs: runs, started: map[string]map[string]int{id: lastStarted(d.Events)}}
	var logs []stepLog
	var notes []string
	for _, step := range ids {
		ss := fold[step]
		run, last := id, earlier.started[id][step]
		if last == 0 {
			// Not run in this run (carried over as already done, kept
			// through a skip, or left to earlier runs by an apply --only):
			// the run where it last ran has its logs.
			run, last = earlier.ranIn(id, step)
		}
		if last == 0 {
			state := checkpoint.StatusPending
			if ss != nil {
				state = ss.Status
			}
			notes = append(notes, fmt.Sprintf("%s has no log: it has not run (%s)", step, state))
			continue
		}
		switch {
		case f.all:
			for a := 1; a <= last; a++ {
				logs = append(logs, stepLog{step, run, a})
			}
		case f.attempt > last:
			notes = append(notes, fmt.Sprintf("%s has no attempt %d (its last is %d)", step, f.attempt, last))
		case f.attempt > 0:
			logs = append(logs, stepLog{step, run, f.attempt})
		default:
			logs = append(logs, stepLog{step, run, last})
		}
	}
	headers := len(ids) > 1 || f.all
	printed := 0
	for _, l := range logs {
		b, err := st.ReadLog(ctx, l.run, l.step, l.attempt)
		if errors.Is(err, fs.ErrNotExist) {
			// A log is made by the first line an attempt writes.
			b, err = nil, nil
			if !headers {
				notes = append(notes, fmt.Sprintf("%s attempt %d printed nothing", l.step, l.attempt))
			}
		}
		if err != nil {
			return stateError(err)
		}
		if headers {
			if printed > 0 {
				fmt.Fprintln(s.out)
			}
			from := ""
			if l.run != id {
				from = ", run " + l.run
			}
			fmt.Fprintf(s.out, "==> %s attempt %d%s <==\n", l.step, l.attempt, from)
			if len(b) == 0 {
				// Said, so that an empty section is not taken for lost
				// output (an attempt killed before it printed anything).
				fmt.Fprintln(s.out, "(printed nothing)")
			}
		} else if l.run != id {
			fmt.Fprintf(s.err, "planrun: %s was carried over as already done; its log is from run %s, where it ran\n", l.step, l.run)
		}
		s.out.Write(b)
		printed++
	}
	for _, n := range notes {
		fmt.Fprintf(s.err, "planrun: %s\n", n)
	}
	if printed == 0 {
		return &exitError{Code: exitStepFailed, Err: fmt.Errorf("no log to print from run %s", id)}
	}
	return nil
}

// earlierStarts finds where a step last ran, reading each earlier run at
// most once.
type earlierStarts struct {
	ctx     context.Context
	st      checkpoint.Store
	runs    []string
	started map[string]map[string]int // run -> step -> last attempt started
}

// ranIn returns the latest run before run in which step started, and its
// last attempt there, or run and 0.
func (e *earlierStarts) ranIn(run, step string) (string, int) {
	i := slices.Index(e.runs, run)
	for i--; i >= 0; i-- {
		r := e.runs[i]
		m, ok := e.started[r]
		if !ok {
			if d, err := e.st.LoadRun(e.ctx, r); err == nil {
				m = lastStarted(d.Events)
			}
			e.started[r] = m // nil for a run that cannot be read
		}
		if last := m[step]; last > 0 {
			return r, last
		}
	}
	return run, 0
}

// lastStarted is the last attempt started of each step in events: a step
// carried over or skipped in a run has an attempt number, but no log there.
func lastStarted(evs []checkpoint.Event) map[string]int {
	m := map[string]int{}
	for _, e := range evs {
		if e.Type == checkpoint.StepStarted {
			m[e.Step] = max(m[e.Step], e.Attempt)
		}
	}
	return m
}

// pickRun returns the run --run names (the latest when run is ""), and
// every run of the state directory, oldest first.
func pickRun(ctx context.Context, st checkpoint.Store, state, run string) (string, []string, error) {
	runs, err := st.Runs(ctx)
	if err != nil {
		return "", nil, stateError(err)
	}
	if len(runs) == 0 {
		return "", nil, &exitError{Code: exitUsage, Err: fmt.Errorf("no run recorded in %s", state)}
	}
	if run == "" {
		return runs[len(runs)-1], runs, nil
	}
	if !slices.Contains(runs, run) {
		hint := suggest.Hint(run, runs)
		if hint == "" {
			last := runs[max(0, len(runs)-5):]
			hint = fmt.Sprintf(" (its latest runs: %s)", strings.Join(last, ", "))
		}
		return "", nil, &exitError{Code: exitUsage, Err: fmt.Errorf("--run: %s has no run %q%s", state, run, hint)}
	}
	return run, runs, nil
}

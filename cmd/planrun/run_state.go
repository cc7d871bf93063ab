package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"sort"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/planrun/planrun/hosts"
	"github.com/planrun/planrun/internal/redact"
	"github.com/planrun/planrun/internal/view"
	"github.com/planrun/planrun/plan"
	"github.com/planrun/planrun/runner"
	"github.com/planrun/planrun/runner/checkpoint"
	"github.com/planrun/planrun/steps"
	"github.com/planrun/planrun/steps/all"
)

// defaultState is the state directory when --state is not given.
const defaultState = ".planrun"

// testKinds are extra step kinds the test binary registers (see
// run_kinds_test.go); always empty in planrun itself.
var testKinds []steps.Kind

// kindRegistry is every kind the run commands know.
func kindRegistry() *steps.Registry {
	reg := all.Registry()
	if len(testKinds) == 0 {
		return reg
	}
	var ks []steps.Kind
	for _, n := range reg.Names() {
		k, _ := reg.Lookup(n)
		ks = append(ks, k)
	}
	return steps.NewRegistry(append(ks, testKinds...)...)
}

// loadPlan loads a plan file; problems exit 3, each printed as
// file:line:col: message.
func loadPlan(file string, reg *steps.Registry, stderr io.Writer) (*plan.Plan, error) {
	p, err := plan.Load([]string{file}, plan.Options{Registry: reg})
	if err == nil {
		return p, nil
	}
	var es plan.Errors
	if errors.As(err, &es) {
		for _, e := range es {
			fmt.Fprintln(stderr, e)
		}
		return nil, &exitError{Code: exitInvalidPlan, Err: fmt.Errorf("invalid plan %s: %s", file, count(len(es), "problem"))}
	}
	return nil, &exitError{Code: exitInvalidPlan, Err: err}
}

// stateError maps checkpoint errors to exit codes: a lock held by another
// run exits 4, a state written by a newer planrun, a corrupted event, a
// run's plan changed since it was recorded or a link in the state exits
// 6; anything else is a failure (1).
func stateError(err error) error { return stateErrorIn(err, defaultState) }

// stateErrorIn is stateError for the state directory dir, which the
// advice names.
func stateErrorIn(err error, dir string) error {
	if err == nil {
		return nil
	}
	var le *checkpoint.LockedError
	var fe *checkpoint.FormatError
	var ce *checkpoint.CorruptError
	var mp *checkpoint.MissingPlanError
	var cp *checkpoint.CorruptPlanError
	var ee *checkpoint.EntryError
	switch {
	case errors.As(err, &le):
		return &exitError{Code: exitLocked, Err: fmt.Errorf("state %s is locked by %s; wait for it to finish, or run `%s` if that process is gone",
			le.Dir, le.Holder, stateCommand("unlock", le.Dir))}
	case errors.As(err, &ce):
		run := filepath.Dir(ce.File)
		return &exitError{Code: exitBadState, Err: fmt.Errorf("%w\n"+
			"planrun appends whole events only, so something else changed that file: restore it, or move %s "+
			"out of the state directory; planrun then goes on from the run before it, or starts anew "+
			"(steps find what earlier runs left in place)", err, run)}
	case errors.As(err, &cp):
		return &exitError{Code: exitBadState, Err: fmt.Errorf("%w\n"+
			"planrun writes a run's plan whole and never changes it, so something else did: restore the state "+
			"(from the artifact or backup it came from), or move %s out of the state directory; planrun then "+
			"goes on from the run before it, or starts anew", err, filepath.Dir(cp.File))}
	case errors.As(err, &ee):
		return &exitError{Code: exitBadState, Err: fmt.Errorf("%w\n"+
			"planrun makes only regular files and directories in a state directory, so something else put this one "+
			"there (a state restored from elsewhere, say): remove it, or restore the state from where it came from", err)}
	case errors.As(err, &fe):
		return &exitError{Code: exitBadState, Err: err}
	case errors.As(err, &mp):
		return &exitError{Code: exitBadState, Err: fmt.Errorf("%w\n"+
			"restore it (from the artifact or backup the state came from), or move %s out of the state directory; "+
			"planrun then goes on from the run before it, or starts anew", err, filepath.Dir(mp.File))}
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		// The store writes whole events or none (a torn tail is cut on
		// the next open), so what was recorded holds.
		return &exitError{Code: exitStepFailed, Err: fmt.Errorf("%w\n"+
			"the state directory's disk is full: every event recorded before this one is intact; "+
			"free some space, then run `%s` (steps cut short are checked before they run again)", err, stateCommand("resume", dir))}
	}
	return &exitError{Code: exitStepFailed, Err: err}
}

// openState opens the state directory and takes its lock for command.
func openState(ctx context.Context, dir, command string) (*checkpoint.FileStore, checkpoint.Unlocker, error) {
	st, err := checkpoint.OpenFile(dir)
	if err != nil {
		return nil, nil, stateError(err)
	}
	u, err := st.Lock(ctx, checkpoint.CurrentHolder(command))
	if err != nil {
		return nil, nil, stateError(err)
	}
	return st, u, nil
}

// commandLine is how the lock records the running command.
func commandLine(cmd *cobra.Command, args []string) string {
	return strings.TrimSpace("planrun " + cmd.Name() + " " + strings.Join(args, " "))
}

var envRef = regexp.MustCompile(`\$\{\{\s*env\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}`)

// redactorFor knows the secrets of a plan: the values of every environment
// variable the plan file or its steps reference, and of every host's
// flow_secret_env.
func redactorFor(p *plan.Plan, getenv func(string) (string, bool)) *redact.Redactor {
	names := map[string]bool{}
	if p.File != "" {
		if b, err := os.ReadFile(p.Path()); err == nil {
			for _, m := range envRef.FindAllSubmatch(b, -1) {
				names[string(m[1])] = true
			}
		}
	}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			for _, m := range envRef.FindAllStringSubmatch(x, -1) {
				names[m[1]] = true
			}
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	for _, s := range p.Steps {
		walk(s.With)
	}
	for _, h := range p.Hosts {
		if h.FlowSecretEnv != "" {
			names[h.FlowSecretEnv] = true
		}
	}
	keys := make([]string, 0, len(names))
	for n := range names {
		keys = append(keys, n)
	}
	sort.Strings(keys)
	var secrets []string
	for _, n := range keys {
		if v, ok := getenv(n); ok {
			secrets = append(secrets, v)
		}
	}
	return redact.New(secrets...)
}

// interruptible returns a context cancelled by the first SIGINT/SIGTERM;
// a second one exits at once with 130. stop releases the signals.
func interruptible(parent context.Context, stderr io.Writer) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancel(parent)
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-ch:
			fmt.Fprintf(stderr, "planrun: %v: stopping running steps (again to exit now)\n", s)
			cancel()
		case <-done:
			return
		}
		select {
		case <-ch:
			fmt.Fprintln(stderr, "planrun: exiting now")
			os.Exit(exitInterrupted)
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		close(done)
		cancel()
	}
}

// notInterrupted is the exit error of a command interrupted before its
// run was created or opened (nothing was written), or nil.
func notInterrupted(ctx context.Context) error {
	if ctx.Err() == nil {
		return nil
	}
	return &exitError{Code: exitInterrupted, Err: errors.New("interrupted before the run started: nothing was run or recorded")}
}

// maxListedErrors bounds the failures summaryExit prints one by one: a
// batch of thousands that fails on a dead host would bury the summary.
const maxListedErrors = 20

// stateCommand is the command line "planrun VERB", with --state DIR when
// dir is not the default state directory: advice copied as given acts on
// the same state.
func stateCommand(verb, dir string) string {
	if dir == "" || filepath.Clean(dir) == defaultState {
		return "planrun " + verb
	}
	return "planrun " + verb + " --state " + hosts.ShellQuote(dir)
}

// editedHint is the advice for a resume whose plan changed since the run
// started: a plain resume runs the plan as it was, so a cause fixed in
// the plan (or in a file it reads) needs --plan.
func editedHint(edited, dir string) string {
	if edited == "" {
		return ""
	}
	return fmt.Sprintf(" (or, if the fix is in the plan or a file it reads, `%s --plan %s`)", stateCommand("resume", dir), hosts.ShellQuote(edited))
}

// summaryExit reports a run's failures and maps its status to an exit
// code; its advice names the state directory dir.
func summaryExit(sum *runner.Summary, stderr io.Writer, dir, edited string) error {
	for i, e := range sum.Errors {
		if i == maxListedErrors {
			fmt.Fprintf(stderr, "planrun: … and %d more: `%s --filter failed` lists every failed step with its error\n", len(sum.Errors)-i, stateCommand("status", dir))
			break
		}
		fmt.Fprintln(stderr, "planrun:", e)
	}
	switch sum.Status {
	case runner.StatusOK:
		return nil
	case runner.StatusInterrupted:
		return &exitError{Code: exitInterrupted, Err: fmt.Errorf("interrupted: run `%s` to continue", stateCommand("resume", dir))}
	}
	if n := len(sum.Unchecked); n > 0 {
		// A plain resume would fail these again: they must be checked.
		ids := strings.Join(sum.Unchecked[:min(n, 5)], ",")
		more := ""
		if n > 5 {
			more = fmt.Sprintf(" (and %d more: `%s --filter failed` lists them)", n-5, stateCommand("status", dir))
		}
		others := ""
		if len(sum.Errors) > n {
			others = "; fix the cause of the other failures"
		}
		it := "it"
		if n > 1 {
			it = "they"
		}
		return &exitError{Code: exitStepFailed, Err: fmt.Errorf("run failed: %s; the outcome of %s%s is unknown: check whether %s took effect, then run `%s --from %s`%s%s",
			sum, strings.ReplaceAll(ids, ",", ", "), more, it, stateCommand("resume", dir), ids, others, editedHint(edited, dir))}
	}
	return &exitError{Code: exitStepFailed, Err: fmt.Errorf("run failed: %s; fix the cause and run `%s`%s", sum, stateCommand("resume", dir), editedHint(edited, dir))}
}

// tuneGC trades memory for CPU in apply and resume: a run lives for one
// command, and even a 10,000-step state is small next to what the garbage
// collector would otherwise spend (about a sixth of an idle resume).
func tuneGC() { debug.SetGCPercent(400) }

// count is "1 problem" or "N problems" (view.Plural).
func count(n int, noun string) string { return view.Plural(int64(n), noun) }

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/pflag"

	"github.com/planrun/planrun/hosts"
	"github.com/planrun/planrun/internal/view"
	"github.com/planrun/planrun/plan"
	"github.com/planrun/planrun/runner"
	"github.com/planrun/planrun/runner/checkpoint"
	"github.com/planrun/planrun/steps"
)

// outputFlags are the output flags of apply and resume.
type outputFlags struct {
	output string
	junit  string
}

func (f *outputFlags) add(fs *pflag.FlagSet) {
	fs.StringVar(&f.output, "output", "text", "output: text (live view on a terminal, one line per state change otherwise) or json (NDJSON events)")
	fs.StringVar(&f.junit, "junit", "", "write a JUnit XML report to `FILE`")
}

// runFlags are the scheduling flags of apply and resume.
type runFlags struct {
	parallel  int
	keepGoing bool
	refresh   bool
}

func (f *runFlags) add(fs *pflag.FlagSet) {
	fs.IntVar(&f.parallel, "parallel", runner.DefaultParallel, "run at most `N` steps at once")
	fs.BoolVar(&f.keepGoing, "keep-going", false, "after a failure, keep running steps that do not depend on it")
	fs.BoolVar(&f.refresh, "refresh", false, "check that each step already done is still in place (its probe) and run again those that are not")
}

// execution is one apply or resume session over an open run.
type execution struct {
	store      *checkpoint.FileStore
	run        checkpoint.Run
	plan       *plan.Plan
	reg        *steps.Registry
	prior      map[string]*checkpoint.StepState
	priorInRun bool
	earlier    map[string]bool // resume: steps whose prior is from an earlier run
	inSession  map[string]bool // with --only: the steps selected (selected)
	only       []string
	force      []string
	sched      runFlags
	out        outputFlags
	command    string
	// edited is the plan file of a resume whose plan changed since the
	// run started (its advice then names --plan).
	edited string
}

// early writes the JUnit report of an apply or resume that stops before
// any step runs (an invalid plan, a locked or damaged state, drift), when
// --junit asks for one: a CI job then shows why, not a missing report.
type early struct {
	junit, name string
	stderr      io.Writer    // the command's stderr, also kept in problems
	problems    bytes.Buffer // what loading the plan printed
	ran         bool         // the session started: it writes its report
	errw        io.Writer
}

func stoppedEarly(s streams, junit string) *early {
	e := &early{junit: junit, stderr: s.err, errw: s.err}
	if junit != "" {
		e.stderr = io.MultiWriter(s.err, &e.problems)
	}
	return e
}

// report writes the report for err, the command's error, unless the
// session ran or the error is a usage error (--junit itself may be what
// is wrong).
func (e *early) report(err error) {
	var xe *exitError
	if e.junit == "" || e.ran || !errors.As(err, &xe) {
		return
	}
	stage := map[int]string{exitInvalidPlan: "plan", exitLocked: "state", exitBadState: "state",
		exitDrift: "drift", exitInterrupted: "interrupted"}[xe.Code]
	if stage == "" {
		return
	}
	j := view.NewJUnit(e.junit)
	j.SetName(e.name)
	j.Stopped(stage, e.problems.String()+xe.Err.Error())
	if cerr := j.Close(); cerr != nil {
		fmt.Fprintln(e.errw, "planrun:", cerr)
	}
}

// checkRunFlags checks what apply and resume are told; both call it
// before they open the state: a usage error must leave no run behind.
func checkRunFlags(sched runFlags, out outputFlags) error {
	if sched.parallel < 1 {
		return &exitError{Code: exitUsage, Err: fmt.Errorf("--parallel must be at least 1, not %d", sched.parallel)}
	}
	if err := view.CheckFormat(out.output); err != nil {
		return &exitError{Code: exitUsage, Err: err}
	}
	if out.junit != "" {
		dir := filepath.Dir(out.junit)
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			if err == nil {
				err = errors.New("not a directory")
			}
			return &exitError{Code: exitUsage, Err: fmt.Errorf("--junit %s: its directory %s: %w", out.junit, dir, unwrapPathErr(err))}
		}
	}
	return nil
}

// execute runs the session with output rendered, and returns the
// command's exit error. ctx is apply's or resume's interruptible one.
func (x *execution) execute(ctx context.Context, s streams) error {
	out, err := view.ForWriter(s.out, x.out.output, view.LiveOptions{Total: x.total(), NoColor: !view.ColorAllowed(os.Getenv)})
	if err != nil {
		return &exitError{Code: exitUsage, Err: err}
	}
	if lo, ok := out.(interface{ LeftOut(int) }); ok && len(x.only) > 0 {
		sel, n := x.selected(), 0
		for _, st := range x.plan.Steps {
			if !sel(st.ID) {
				n++
			}
		}
		lo.LeftOut(n)
	}
	var obs runner.Observer = out
	if x.out.junit != "" {
		j := view.NewJUnit(x.out.junit)
		j.SetName(x.plan.Name)
		sel := x.selected()
		var want []checkpoint.Event
		for _, st := range x.plan.Steps {
			if sel(st.ID) {
				want = append(want, checkpoint.Event{Step: st.ID, Batch: st.Batch, Item: st.Item})
			}
		}
		j.SetSteps(want)
		obs = view.Multi(out, j)
	}
	if c, ok := obs.(view.Carrier); ok && x.priorInRun {
		// A resume records nothing for the successes it keeps (apply
		// records each as already done): the summary and the report
		// still count them, so that they cover the whole plan.
		sel := x.selected()
		for _, st := range x.plan.Steps {
			if p := x.prior[st.ID]; p != nil && p.Status == checkpoint.StatusSucceeded && !x.earlier[st.ID] && sel(st.ID) {
				c.Carry(checkpoint.Event{Time: p.Finished, Type: checkpoint.StepSkipped, Step: st.ID, Kind: st.Kind,
					Host: st.Host, Batch: st.Batch, Item: st.Item, Reason: checkpoint.ReasonAlreadyDone, Outputs: p.Outputs})
			}
		}
	}
	pool := hosts.NewPool(x.plan.Hosts, hosts.PoolOptions{BaseDir: x.plan.BaseDir})
	defer pool.Close()
	// Absolute: steps resolve relative local paths against the plan's
	// directory, not the process's, so a relative --state must not leak.
	workDir, err := x.store.WorkDir(x.run.ID())
	if err != nil {
		return stateErrorIn(err, x.store.Dir())
	}
	if workDir, err = filepath.Abs(workDir); err != nil {
		return &exitError{Code: exitStepFailed, Err: fmt.Errorf("work directory: %w", err)}
	}
	sum, err := runner.Run(ctx, x.plan, runner.Options{
		Registry: x.reg, Hosts: pool, Run: x.run, Prior: x.prior, PriorInRun: x.priorInRun, Earlier: x.earlier,
		Parallel: x.sched.parallel, KeepGoing: x.sched.keepGoing, Refresh: x.sched.refresh, Only: x.only, Force: x.force,
		Observer: obs, WorkDir: workDir, Redactor: redactorFor(x.plan, os.LookupEnv), Command: x.command,
		ResumeCommand: stateCommand("resume", x.store.Dir()),
	})
	if cerr := obs.(interface{ Close() error }).Close(); cerr != nil && err == nil {
		err = cerr
	}
	if err != nil {
		return stateErrorIn(err, x.store.Dir())
	}
	if x.out.output != view.FormatJSON {
		switch {
		case x.sched.refresh:
			fmt.Fprintf(s.err, "planrun: --refresh: %d step(s) already done and checked in place, %d not checked (no probe), %d run again\n",
				sum.Checked, sum.AlreadyDone-sum.Checked, sum.Redone)
		case sum.AlreadyDone > 0:
			fmt.Fprintf(s.err, "planrun: %d step(s) already done were not run again\n", sum.AlreadyDone)
		}
	}
	return summaryExit(sum, s.err, x.store.Dir(), x.edited)
}

// total is how many steps the live view counts: all of them (those --only
// selects), less those a
// resume keeps as done (they produce no event, unless refreshed).
func (x *execution) total() int {
	every := !x.priorInRun || x.sched.refresh // every step selected has an event
	forced := map[string]bool{}
	for _, id := range x.force {
		forced[id] = true
	}
	n := 0
	sel := x.selected()
	for _, s := range x.plan.Steps {
		if !sel(s.ID) {
			continue
		}
		if p := x.prior[s.ID]; every || p == nil || p.Status != checkpoint.StatusSucceeded || forced[s.ID] || x.earlier[s.ID] {
			n++
		}
	}
	return n
}

// selected reports whether a step is in the session: all of them, or
// with --only those given and what they need (the runner leaves out the
// rest, and neither runs nor counts them).
func (x *execution) selected() func(id string) bool {
	if len(x.only) == 0 {
		return func(string) bool { return true }
	}
	if x.inSession == nil {
		x.inSession = map[string]bool{}
		for _, id := range plan.UpstreamOf(x.plan, x.only) {
			x.inSession[id] = true
		}
	}
	return func(id string) bool { return x.inSession[id] }
}

// unwrapPathErr is a path error's cause (the caller names the path).
func unwrapPathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

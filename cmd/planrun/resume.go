package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/planrun/planrun/plan"
	"github.com/planrun/planrun/runner/checkpoint"
	"github.com/planrun/planrun/steps"
)

// resumeFlags are the flags of `planrun resume`.
type resumeFlags struct {
	state       string
	planFile    string
	from        []string
	acceptDrift bool
	only        []string
	sched       runFlags
	out         outputFlags
}

func newResumeCmd(s streams) *cobra.Command {
	f := &resumeFlags{}
	cmd := &cobra.Command{
		Use:   "resume",
		Short: "Continue the last run from its checkpoint",
		Long: `Continue the latest run of the state directory with its frozen plan.

Steps that succeeded (with an unchanged fingerprint) keep their outputs and
are not run again; failed, interrupted, skipped and never-started steps run.
A step recorded as started with no result has an unknown outcome: its kind's
probe decides, an idempotent kind runs again, any other kind fails with a
message asking you to check and use --from.

--plan FILE compares FILE with the frozen plan: steps whose parameters
changed run again with everything downstream; a changed structure (steps
added or removed, needs changed) stops with exit 5 and the diff unless
--accept-drift. --from ID runs ID and everything downstream again. --only ID
resumes just ID and the steps it needs (a batch item, say), leaving the rest
for a later resume.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runResume(cmd.Context(), s, f, commandLine(cmd, args))
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&f.state, "state", defaultState, "state `DIR`")
	fs.StringVar(&f.planFile, "plan", "", "compare with the plan in `FILE` and resume with it")
	fs.StringSliceVar(&f.from, "from", nil, "run step `ID` (or a batch step's copies, or a batch) and everything downstream again")
	fs.BoolVar(&f.acceptDrift, "accept-drift", false, "resume even if --plan changed the plan's structure")
	fs.StringSliceVar(&f.only, "only", nil, "resume only these steps (`ID`, ID[KEY], a batch step's id or a batch name) and what they need; the rest stays as it is for a later resume")
	f.sched.add(fs)
	f.out.add(fs)
	cmd.RegisterFlagCompletionFunc("only", completeRunSteps)
	cmd.RegisterFlagCompletionFunc("from", completeRunSteps)
	return cmd
}

func runResume(ctx context.Context, s streams, f *resumeFlags, command string) (err error) {
	ctx, stop := interruptible(ctx, s.err) // from the start, as apply
	defer stop()
	early := stoppedEarly(s, f.out.junit)
	defer func() { early.report(err) }()
	tuneGC()
	reg := kindRegistry()
	noRuns := &exitError{Code: exitUsage, Err: fmt.Errorf("nothing to resume: no run recorded in %s (start one with `planrun apply PLAN`)", f.state)}
	if _, err := os.Stat(f.state); errors.Is(err, fs.ErrNotExist) {
		return noRuns // and no state directory made for nothing (a mistyped --state)
	}
	if err := checkRunFlags(f.sched, f.out); err != nil {
		return err
	}
	st, lock, err := openState(ctx, f.state, command)
	if err != nil {
		return err
	}
	defer lock.Unlock()
	id, err := checkpoint.Latest(ctx, st)
	if errors.Is(err, checkpoint.ErrNoRuns) {
		return noRuns
	}
	if err != nil {
		return stateError(err)
	}
	d, err := st.LoadRun(ctx, id)
	if err != nil {
		return stateError(err)
	}
	p := d.Plan
	early.name = p.Name
	var force []string
	var newPlan *plan.Plan
	edited := "" // the plan file, when it (or a file it reads) changed since the run started
	if f.planFile == "" {
		if err := relocate(p, f.state, s.err); err != nil {
			return err
		}
		edited = noteEdited(p, reg, s.err)
	} else {
		np, err := loadPlan(f.planFile, reg, early.stderr)
		if err != nil {
			return err
		}
		// Recorded with the plan's directory it goes with (the plan may
		// be stored again: SetPlan below).
		if np.StateDir, err = filepath.Abs(f.state); err != nil {
			return &exitError{Code: exitUsage, Err: fmt.Errorf("--state: %w", err)}
		}
		drift := plan.Diff(p, np)
		if drift.StructureChanged && !f.acceptDrift {
			fmt.Fprint(early.stderr, drift.String())
			return &exitError{Code: exitDrift, Err: fmt.Errorf("the plan's structure changed since run %s was checkpointed (diff above): resume with --accept-drift to run the new plan", id)}
		}
		if !drift.Empty() {
			fmt.Fprint(s.err, drift.String())
			force = plan.DownstreamOf(np, drift.Changed())
			newPlan = np
		}
		p = np
	}
	from, err := selectSteps(p, "--from", f.from)
	if err != nil {
		return err
	}
	force = append(force, plan.DownstreamOf(p, from)...)
	only, err := selectSteps(p, "--only", f.only)
	if err != nil {
		return err
	}
	prior := checkpoint.Fold(d.Events)
	// Steps this run has no record of (it was an `apply --only`, or an
	// apply killed before it recorded what was already done) keep their
	// state from the runs before it, as apply would give them.
	earlier, err := earlierPrior(ctx, st, id, p, prior)
	if err != nil {
		return stateError(err)
	}
	if newPlan == nil {
		// A new plan file was checked as it loaded; the frozen one is
		// checked here, before anything runs (a re-run CI job that lacks
		// a secret the first one had).
		if err := envMissing(p, only, os.LookupEnv); err != nil {
			return err
		}
	}
	if err := notInterrupted(ctx); err != nil {
		return err
	}
	run, err := st.OpenRun(ctx, id)
	if err != nil {
		return stateError(err)
	}
	defer run.Close()
	if newPlan != nil {
		if err := run.SetPlan(ctx, newPlan); err != nil {
			return stateError(err)
		}
	}
	early.ran = true
	x := &execution{store: st, run: run, plan: p, reg: reg, prior: prior, priorInRun: true, earlier: earlier,
		force: force, only: only, sched: f.sched, out: f.out, command: command, edited: edited}
	return x.execute(ctx, s)
}

// earlierPrior adds to prior, the state of run id, the state of each step
// of p that id has no record of from the runs before id, and returns those
// steps.
func earlierPrior(ctx context.Context, st checkpoint.Store, id string, p *plan.Plan, prior map[string]*checkpoint.StepState) (map[string]bool, error) {
	runs, err := st.Runs(ctx)
	if err != nil {
		return nil, err
	}
	i := slices.Index(runs, id)
	if i <= 0 {
		return nil, nil
	}
	own := make(map[string]bool, len(prior))
	for k := range prior {
		own[k] = true
	}
	if _, err := addPrior(ctx, st, runs[:i], p, prior); err != nil {
		return nil, err
	}
	earlier := map[string]bool{}
	for k := range prior {
		if !own[k] {
			earlier[k] = true
		}
	}
	return earlier, nil
}

// relocate points the frozen plan p at its directory's current place when
// the state directory has moved since the run started (plan.Relocate),
// and says so on w. A plan directory that is gone is a usage error: the
// run would otherwise make its relative paths again where they were.
func relocate(p *plan.Plan, state string, w io.Writer) error {
	abs, err := filepath.Abs(state)
	if err != nil {
		return &exitError{Code: exitUsage, Err: fmt.Errorf("--state: %w", err)}
	}
	from, err := p.Relocate(abs)
	var gone *plan.GoneDirError
	if errors.As(err, &gone) {
		return &exitError{Code: exitUsage, Err: fmt.Errorf("%w: if the plan moved, resume with --plan FILE, the plan in its new place", err)}
	}
	if err != nil {
		return &exitError{Code: exitUsage, Err: err}
	}
	if from != "" {
		fmt.Fprintf(w, "planrun: the state directory has moved since the run started (it was %s): "+
			"relative paths now resolve in %s, not %s\n", p.StateDir, p.BaseDir, from)
	}
	return nil
}

// envMissing reports, as one usage error, the environment variables that
// the steps of p (those only selects and what they need, when set)
// reference but are not set. Steps that succeeded count too: resume
// resolves them again to see whether they changed.
func envMissing(p *plan.Plan, only []string, getenv func(string) (string, bool)) error {
	selected := map[string]bool{}
	for _, id := range plan.UpstreamOf(p, only) {
		selected[id] = true
	}
	users := map[string][]string{}
	var names []string
	for _, s := range p.Steps {
		if len(only) > 0 && !selected[s.ID] {
			continue
		}
		for _, n := range s.EnvNames() {
			if _, ok := getenv(n); ok {
				continue
			}
			if users[n] == nil {
				names = append(names, n)
			}
			users[n] = append(users[n], s.ID)
		}
	}
	if len(names) == 0 {
		return nil
	}
	slices.Sort(names)
	var lines []string
	for _, n := range names {
		lines = append(lines, fmt.Sprintf("environment variable %s is not set (used by %s)", n, strings.Join(users[n], ", ")))
	}
	return &exitError{Code: exitUsage, Err: fmt.Errorf("%s\nno step was run: set it, then resume", strings.Join(lines, "\n"))}
}

// noteEdited says on w when the plan file of the frozen plan p now holds
// another plan: resume runs p as frozen, which an operator who fixed the
// file and typed `planrun resume` may not expect. A file that is gone or
// does not load says nothing here. p's hash is its content's (the store
// checked it when it loaded the run).
func noteEdited(p *plan.Plan, reg *steps.Registry, w io.Writer) string {
	file := p.Path()
	if file == "" {
		return ""
	}
	np, err := plan.Load([]string{file}, plan.Options{Registry: reg})
	if err != nil || np.Hash == p.Hash {
		return ""
	}
	name := p.File // as given, when it still names the file from here
	if abs, err := filepath.Abs(name); err != nil || abs != file {
		name = file
	}
	fmt.Fprintf(w, "planrun: the plan has changed since this run started (%s, or a file it reads: a for_each list, a hosts file); "+
		"resume runs the plan as it was then (planrun resume --plan %s runs it as it is now, and shows what changed)\n", name, name)
	return name
}

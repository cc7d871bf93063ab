package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/planrun/planrun/hosts"
	"github.com/planrun/planrun/internal/view"
	"github.com/planrun/planrun/plan"
	"github.com/planrun/planrun/runner"
	"github.com/planrun/planrun/runner/checkpoint"
	"github.com/planrun/planrun/steps"
)

// planFlags are the flags of `planrun plan`.
type planFlags struct {
	state   string
	format  string
	refresh bool
	only    []string
}

func newPlanCmd(s streams) *cobra.Command {
	f := &planFlags{}
	cmd := &cobra.Command{
		Use:   "plan PLAN",
		Short: "Preview a plan: its steps, their needs, and which would run",
		Long: `Show the expanded steps of a plan, their dependencies, and whether apply
would run each one or skip it as already done, given the latest run in the
state directory. It only reads the state.

With --refresh it also checks, as apply --refresh would, that each step
already done still holds: it runs the kind's probe, which changes no file
and no model (a transfer's destination compared with its source, each
file of a natively imported model hashed where it lies, FATE Flow asked
for a model it imported), so it connects to the plan's hosts. A step that
would run again says what its probe found.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !slices.Contains(view.PlanFormats, f.format) {
				return &exitError{Code: exitUsage, Err: fmt.Errorf("--format %q: want one of %v", f.format, view.PlanFormats)}
			}
			reg := kindRegistry()
			p, err := loadPlan(args[0], reg, s.err)
			if err != nil {
				return err
			}
			only, err := selectSteps(p, "--only", f.only)
			if err != nil {
				return err
			}
			st, err := checkpoint.OpenFile(f.state)
			if err != nil {
				return stateError(err)
			}
			prior, last, err := priorOf(cmd.Context(), st, p)
			if err != nil {
				return stateError(err)
			}
			var check checkDone
			if f.refresh && prior != nil {
				pool := hosts.NewPool(p.Hosts, hosts.PoolOptions{BaseDir: p.BaseDir})
				defer pool.Close()
				work := ""
				if id, err := checkpoint.Latest(cmd.Context(), st); err == nil {
					work = filepath.Join(st.RunDir(id), "work")
				}
				check = probeAll(p, reg, prior, probeDone(cmd.Context(), p, pool, work))
			}
			var changed map[string]string
			if last != nil && last.Hash != p.Hash {
				changed = driftReasons(plan.Diff(last, p))
			}
			pv := preview(p, reg, prior, changed, check)
			leaveOut(p, &pv, only)
			if err := view.RenderPlan(s.out, f.format, pv); err != nil {
				return &exitError{Code: exitStepFailed, Err: err}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&f.state, "state", defaultState, "state `DIR`")
	cmd.Flags().StringVar(&f.format, "format", "text", "text, json, dot or mermaid")
	cmd.Flags().StringSliceVar(&f.only, "only", nil, "preview apply --only: these steps (`ID`, ID[KEY], a batch step's id or a batch name) and what they need; the rest is left out")
	cmd.Flags().BoolVar(&f.refresh, "refresh", false, "check that each step already done still holds (runs its probe: connects to hosts)")
	cmd.RegisterFlagCompletionFunc("only", completePlanSteps)
	return cmd
}

// checkDone says why a step already done would run again under
// --refresh ("" if it would not), and its outputs when they changed.
type checkDone func(s *plan.Step, k steps.Kind, cfg any, pr *checkpoint.StepState) (rerun string, out steps.Outputs)

// probeDone is the checkDone of plan --refresh: the kind's probe, on
// p's hosts, as apply --refresh runs it.
func probeDone(ctx context.Context, p *plan.Plan, pool *hosts.Pool, work string) checkDone {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	red := redactorFor(p, os.LookupEnv) // what a probe says may hold a resolved secret
	return func(s *plan.Step, k steps.Kind, cfg any, pr *checkpoint.StepState) (string, steps.Outputs) {
		rerun, res, err := runner.RefreshCheck(k, cfg, func(prober steps.Prober) (steps.ProbeResult, error) {
			env := &steps.Env{StepID: s.ID, Attempt: pr.Attempt, BaseDir: p.BaseDir, WorkDir: work,
				Hosts: pool, Log: io.Discard, Logger: logger, Progress: steps.NopProgress{}}
			return prober.Probe(ctx, env, cfg, pr.Outputs)
		})
		if err != nil {
			return red.String("refresh: cannot check it (apply --refresh fails it): " + err.Error()), nil
		}
		return red.String(rerun), res.Outputs
	}
}

// probeAll runs check, several at once, for every step preview will ask
// about: a prior success whose fingerprint still matches, resolved with
// the prior outputs (preview asks only then, and with the same config).
// The check it returns answers from those results, and asks check itself
// about any other step.
func probeAll(p *plan.Plan, reg *steps.Registry, prior map[string]*checkpoint.StepState, check checkDone) checkDone {
	type result struct {
		rerun string
		out   steps.Outputs
	}
	var mu sync.Mutex
	results := map[string]result{}
	outputs := func(id string) (plan.Upstream, bool) {
		if pr := prior[id]; pr != nil && pr.Status == checkpoint.StatusSucceeded {
			return runner.Recorded(pr), true
		}
		return plan.Upstream{}, false
	}
	var g errgroup.Group
	g.SetLimit(runner.DefaultParallel)
	for _, s := range p.Steps {
		pr := prior[s.ID]
		k, ok := reg.Lookup(s.Kind)
		if pr == nil || pr.Status != checkpoint.StatusSucceeded || !ok {
			continue
		}
		cfg, params, err := plan.Resolve(s, reg, outputs, os.LookupEnv)
		if err != nil || plan.Fingerprint(s, k.Version(), params) != pr.Fingerprint {
			continue
		}
		g.Go(func() error {
			rerun, out := check(s, k, cfg, pr)
			mu.Lock()
			results[s.ID] = result{rerun, out}
			mu.Unlock()
			return nil
		})
	}
	g.Wait()
	return func(s *plan.Step, k steps.Kind, cfg any, pr *checkpoint.StepState) (string, steps.Outputs) {
		if r, ok := results[s.ID]; ok {
			return r.rerun, r.out
		}
		return check(s, k, cfg, pr)
	}
}

// leaveOut marks the steps apply --only would leave out: all but only
// and what they need (nothing when only is empty).
func leaveOut(p *plan.Plan, pv *view.Preview, only []string) {
	if len(only) == 0 {
		return
	}
	keep := map[string]bool{}
	for _, id := range plan.UpstreamOf(p, only) {
		keep[id] = true
	}
	for i := range pv.Steps {
		if d := &pv.Steps[i]; !keep[d.ID] {
			d.Action, d.Reason = view.ActionOut, "left out by --only"
		}
	}
}

// preview decides, as apply would, which steps run: a step is skipped when
// the prior run succeeded with the same fingerprint, nothing it needs runs
// and the plan did not change it (changed: id -> why; and, with check,
// when it still holds).
func preview(p *plan.Plan, reg *steps.Registry, prior map[string]*checkpoint.StepState, changed map[string]string, check checkDone) view.Preview {
	pv := view.Preview{Name: p.Name, Hash: p.Hash}
	byID := make(map[string]*plan.Step, len(p.Steps))
	for _, s := range p.Steps {
		byID[s.ID] = s
	}
	decided := map[string]*view.PreviewStep{}
	refreshed := map[string]steps.Outputs{} // outputs a check found changed
	outputs := func(id string) (plan.Upstream, bool) {
		if d, ok := decided[id]; ok && d.Action == view.ActionSkip {
			up := runner.Recorded(prior[id])
			if out, ok := refreshed[id]; ok {
				up.Outputs = out
			}
			return up, true
		}
		return plan.Upstream{}, false
	}
	var decide func(s *plan.Step) *view.PreviewStep
	decide = func(s *plan.Step) *view.PreviewStep {
		if d, ok := decided[s.ID]; ok {
			return d
		}
		d := &view.PreviewStep{ID: s.ID, Kind: s.Kind, Host: s.Host, Batch: s.Batch, Item: s.Item, Needs: s.Needs, Action: view.ActionRun}
		decided[s.ID] = d
		for _, n := range s.Needs {
			if ns, ok := byID[n]; ok && decide(ns).Action == view.ActionRun {
				if pr := prior[s.ID]; pr != nil && pr.Status == checkpoint.StatusSucceeded {
					d.Reason = "upstream " + n + " runs"
				}
				return d
			}
		}
		pr := prior[s.ID]
		if pr == nil {
			return d
		}
		if why, ok := changed[s.ID]; ok {
			d.Reason = why // apply runs it again (and what follows it)
			return d
		}
		switch pr.Status {
		case checkpoint.StatusSucceeded:
			k, ok := reg.Lookup(s.Kind)
			if !ok {
				return d
			}
			cfg, params, err := plan.Resolve(s, reg, outputs, os.LookupEnv)
			var masked *plan.RedactedOutputError
			switch {
			case errors.As(err, &masked) && plan.Fingerprint(s, k.Version(), params) == pr.Fingerprint:
				// As apply keeps it: unchecked, as it has no config.
				d.Action, d.Reason = view.ActionSkip, "already done"
			case masked != nil:
				d.Reason = "cannot run: " + masked.Error()
			case err != nil:
				d.Reason = "cannot resolve yet: " + err.Error()
			case plan.Fingerprint(s, k.Version(), params) == pr.Fingerprint:
				d.Action, d.Reason = view.ActionSkip, "already done"
				if check == nil {
					break
				}
				rerun, out := check(s, k, cfg, pr)
				switch {
				case rerun != "":
					d.Action, d.Reason = view.ActionRun, rerun
				case out != nil && !runner.SameOutputs(out, pr.Outputs):
					refreshed[s.ID] = out
					d.Reason = "already done, checked in place (its outputs changed)"
				default:
					d.Reason = "already done, checked in place"
				}
			default:
				d.Reason = "changed since it succeeded"
			}
		case checkpoint.StatusUnknown:
			d.Reason = unknownReason(s, reg, outputs)
		default:
			d.Reason = "was " + pr.Status
		}
		return d
	}
	for _, s := range p.Steps {
		pv.Steps = append(pv.Steps, *decide(s))
	}
	return pv
}

// unknownReason says what apply does with s, whose last attempt has no
// recorded outcome, as the runner settles it: the kind's probe decides, an
// idempotent kind runs again, any other fails until checked.
func unknownReason(s *plan.Step, reg *steps.Registry, outputs func(string) (plan.Upstream, bool)) string {
	const prefix = "outcome of the last attempt unknown: "
	k, ok := reg.Lookup(s.Kind)
	if !ok {
		return prefix + "unknown kind"
	}
	if _, ok := k.(steps.Prober); ok {
		return prefix + "its probe decides"
	}
	cfg, _, err := plan.Resolve(s, reg, outputs, os.LookupEnv)
	switch {
	case err != nil:
		return prefix + "cannot resolve yet: " + err.Error()
	case steps.IsIdempotent(k, cfg):
		return prefix + "runs again (its kind is idempotent)"
	}
	return prefix + "it FAILS, asking you to check whether it took effect and then use resume --from " + s.ID
}

// driftReasons says, for each step an edit of the plan changed, why apply
// runs it again (see plan.Diff).
func driftReasons(d plan.Drift) map[string]string {
	out := map[string]string{}
	for _, id := range d.NeedsChanged {
		out[id] = "its needs changed in the plan"
	}
	for _, id := range d.ParamChanged {
		out[id] = "changed in the plan"
	}
	for id, h := range d.MovedHosts {
		out[id] = "host " + h + " now points elsewhere"
	}
	return out
}

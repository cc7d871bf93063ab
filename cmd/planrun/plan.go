package main

import (
	"context"
	"fmt"
	"os"
	"slices"

	"github.com/spf13/cobra"

	"github.com/planrun/planrun/internal/view"
	"github.com/planrun/planrun/plan"
	"github.com/planrun/planrun/runner/checkpoint"
	"github.com/planrun/planrun/steps"
)

// planFlags are the flags of `planrun plan`.
type planFlags struct {
	state  string
	format string
}

func newPlanCmd(s streams) *cobra.Command {
	f := &planFlags{}
	cmd := &cobra.Command{
		Use:   "plan PLAN",
		Short: "Preview a plan: its steps, their needs, and which would run",
		Long: `Show the expanded steps of a plan, their dependencies, and whether apply
would run each one or skip it as already done, given the latest run of the
same plan in the state directory. It only reads the state.`,
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
			st, err := checkpoint.OpenFile(f.state)
			if err != nil {
				return stateError(err)
			}
			prior, err := priorOfSamePlan(cmd.Context(), st, p.Hash)
			if err != nil {
				return stateError(err)
			}
			pv := preview(cmd.Context(), p, reg, prior)
			if err := view.RenderPlan(s.out, f.format, pv); err != nil {
				return &exitError{Code: exitStepFailed, Err: err}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&f.state, "state", defaultState, "state `DIR`")
	cmd.Flags().StringVar(&f.format, "format", "text", "text, json, dot or mermaid")
	return cmd
}

// preview decides, as apply would, which steps run: a step is skipped when
// the prior run succeeded with the same fingerprint and nothing it needs
// runs.
func preview(ctx context.Context, p *plan.Plan, reg *steps.Registry, prior map[string]*checkpoint.StepState) view.Preview {
	pv := view.Preview{Name: p.Name, Hash: p.Hash}
	byID := make(map[string]*plan.Step, len(p.Steps))
	for _, s := range p.Steps {
		byID[s.ID] = s
	}
	decided := map[string]*view.PreviewStep{}
	outputs := func(id string) (steps.Outputs, bool) {
		if d, ok := decided[id]; ok && d.Action == view.ActionSkip {
			return prior[id].Outputs, true
		}
		return nil, false
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
		switch pr.Status {
		case checkpoint.StatusSucceeded:
			k, ok := reg.Lookup(s.Kind)
			if !ok {
				return d
			}
			_, params, err := plan.Resolve(s, reg, outputs, os.LookupEnv)
			switch {
			case err != nil:
				d.Reason = "cannot resolve yet: " + err.Error()
			case plan.Fingerprint(s, k.Version(), params) == pr.Fingerprint:
				d.Action, d.Reason = view.ActionSkip, "already done"
			default:
				d.Reason = "changed since it succeeded"
			}
		case checkpoint.StatusUnknown:
			d.Reason = "outcome of the last attempt unknown: its probe decides"
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

package main

import (
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/planrun/planrun/plan"
	"github.com/planrun/planrun/runner/checkpoint"
)

// Shell completion (`planrun completion bash|zsh|fish|powershell`) of the
// names commands take: step ids, batch step ids and batch names for
// --only, --from and logs (from the plan file given, or from the run in
// the state directory), batch item keys and states for status.

// stepNames lists what plan.Select takes for p: every step id, then each
// batch step's id and each batch's name.
func stepNames(p *plan.Plan) []string {
	var names, more []string
	seen := map[string]bool{}
	for _, s := range p.Steps {
		names = append(names, s.ID)
		if s.Batch == "" {
			continue
		}
		tmpl, _, _ := strings.Cut(s.ID, "[")
		for _, n := range []string{tmpl, s.Batch} {
			if !seen[n] {
				seen[n] = true
				more = append(more, n)
			}
		}
	}
	return append(names, more...)
}

// withPrefix keeps the names that start with prefix. A list flag's value
// is completed after its last comma (--only fetch,imp: fetch,import).
func withPrefix(names []string, prefix string) []string {
	head := ""
	if i := strings.LastIndexByte(prefix, ','); i >= 0 {
		head, prefix = prefix[:i+1], prefix[i+1:]
	}
	var out []string
	for _, n := range names {
		if strings.HasPrefix(n, prefix) {
			out = append(out, head+n)
		}
	}
	return out
}

// completeNone offers nothing (not even file names).
func completeNone(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return nil, cobra.ShellCompDirectiveNoFileComp
}

// runPlan loads the plan frozen in the run that cmd's --state and --run
// flags name (the latest run without --run); nil when there is none.
// It only reads: a missing state directory stays missing.
func runPlan(cmd *cobra.Command) *plan.Plan {
	state, _ := cmd.Flags().GetString("state")
	run, _ := cmd.Flags().GetString("run")
	st, err := checkpoint.OpenFile(state)
	if err != nil {
		return nil
	}
	id, _, err := pickRun(cmd.Context(), st, state, run)
	if err != nil {
		return nil
	}
	d, err := st.LoadRun(cmd.Context(), id)
	if err != nil {
		return nil
	}
	return d.Plan
}

// completeRunSteps completes step names from the state directory's run.
func completeRunSteps(cmd *cobra.Command, _ []string, prefix string) ([]string, cobra.ShellCompDirective) {
	p := runPlan(cmd)
	if p == nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return withPrefix(stepNames(p), prefix), cobra.ShellCompDirectiveNoFileComp
}

// completePlanSteps completes step names from the plan file given as the
// first argument. Environment variables need not be set for this.
func completePlanSteps(cmd *cobra.Command, args []string, prefix string) ([]string, cobra.ShellCompDirective) {
	if len(args) == 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	p, err := plan.Load(args[:1], plan.Options{Registry: kindRegistry(),
		Getenv: func(string) (string, bool) { return "", true }})
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return withPrefix(stepNames(p), prefix), cobra.ShellCompDirectiveNoFileComp
}

// completeRuns completes the run ids of cmd's state directory, newest
// first.
func completeRuns(cmd *cobra.Command, _ []string, prefix string) ([]string, cobra.ShellCompDirective) {
	state, _ := cmd.Flags().GetString("state")
	st, err := checkpoint.OpenFile(state)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	runs, err := st.Runs(cmd.Context())
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	slices.Reverse(runs)
	return withPrefix(runs, prefix), cobra.ShellCompDirectiveNoFileComp
}

// completeItems completes the batch item keys of the state directory's run.
func completeItems(cmd *cobra.Command, _ []string, prefix string) ([]string, cobra.ShellCompDirective) {
	p := runPlan(cmd)
	if p == nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var keys []string
	for _, s := range p.Steps {
		if s.Item != "" && !slices.Contains(keys, s.Item) {
			keys = append(keys, s.Item)
		}
	}
	return withPrefix(keys, prefix), cobra.ShellCompDirectiveNoFileComp
}

// completeStates completes the states status --filter takes.
func completeStates(_ *cobra.Command, _ []string, prefix string) ([]string, cobra.ShellCompDirective) {
	return withPrefix(slices.Clone(stepStates), prefix), cobra.ShellCompDirectiveNoFileComp
}

package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/planrun/planrun/plan"
	"github.com/planrun/planrun/steps/all"
)

// validateArgs are `planrun validate`'s arguments.
type validateArgs struct {
	files []string
}

func newValidateCmd(s streams) *cobra.Command {
	return &cobra.Command{
		Use:   "validate PLAN...",
		Short: "Check a plan without running it; report every problem as file:line:col: message",
		Long: `Validate loads a plan the way apply does: the YAML, the JSON Schema (see
planrun schema), each step's typed with:, references, hosts, batches and the
dependency graph. It reports every problem at once, one per line as
file:line:col: message, and exits 3 if there is any. Several files form one
plan (their steps, vars, hosts and limits are merged).`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runValidate(s, validateArgs{files: args})
		},
	}
}

func runValidate(s streams, a validateArgs) error {
	p, err := plan.Load(a.files, plan.Options{Registry: all.Registry()})
	name := strings.Join(a.files, ", ")
	if err != nil {
		var es plan.Errors
		if !errors.As(err, &es) {
			return &exitError{Code: exitInvalidPlan, Err: err}
		}
		for _, e := range es {
			fmt.Fprintln(s.err, e)
		}
		noun := "problems"
		if len(es) == 1 {
			noun = "problem"
		}
		return &exitError{Code: exitInvalidPlan, Err: fmt.Errorf("invalid plan %s: %d %s", name, len(es), noun)}
	}
	noun := "steps"
	if len(p.Steps) == 1 {
		noun = "step"
	}
	fmt.Fprintf(s.out, "%s: ok (%d %s)\n", name, len(p.Steps), noun)
	return nil
}

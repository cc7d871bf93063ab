package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/planrun/planrun/plan"
	"github.com/planrun/planrun/steps/all"
)

// validateArgs are `planrun validate`'s arguments.
type validateArgs struct {
	files   []string
	connect bool
}

func newValidateCmd(s streams) *cobra.Command {
	var a validateArgs
	cmd := &cobra.Command{
		Use:   "validate PLAN...",
		Short: "Check a plan without running it; report every problem as file:line:col: message",
		Long: `Validate loads a plan the way apply does: the YAML, the JSON Schema (see
planrun schema), each step's typed with:, references, hosts, batches and the
dependency graph. It reports every problem at once, one per line as
file:line:col: message, and exits 3 if there is any. Several files form one
plan (their steps, vars, hosts and limits are merged).

With --connect, a valid plan's hosts are then reached, all at once, as a
run would reach them: each SSH host is connected to (host key checked,
keys tried, jump hosts crossed), its root (or login directory) listed
over SFTP and a command run through its login shell; a local host's root
must be a directory if it exists (steps create missing roots); a host's
fate_base must be a directory (a model_local_cache not there yet is
noted); a host's FATE Flow must answer a read-only request (the export of a model no
cluster holds), signed when flow_app_key is set. One line per host; exits
1 if any cannot be reached. Nothing is written anywhere.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a.files = args
			return runValidate(s, a)
		},
	}
	cmd.Flags().BoolVar(&a.connect, "connect", false, "also reach every host of the inventory (SSH login, SFTP, a command, FATE Flow)")
	return cmd
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
		return &exitError{Code: exitInvalidPlan, Err: fmt.Errorf("invalid plan %s: %s", name, count(len(es), "problem"))}
	}
	fmt.Fprintf(s.out, "%s: ok (%s)\n", name, count(len(p.Steps), "step"))
	if !a.connect {
		return nil
	}
	failed := 0
	checks := checkHosts(p)
	for _, c := range checks {
		at := ""
		if c.addr != "" {
			at = " (" + c.addr + ")"
		}
		if c.err != nil {
			failed++
			fmt.Fprintf(s.err, "host %s%s: %v\n", c.name, at, c.err)
			continue
		}
		ok := "ok"
		if c.took > 0 {
			ok += " in " + c.took.Round(time.Millisecond).String()
		}
		if c.note != "" {
			ok += "; " + c.note
		}
		fmt.Fprintf(s.out, "host %s%s: %s\n", c.name, at, ok)
	}
	if failed > 0 {
		return &exitError{Code: exitStepFailed, Err: fmt.Errorf("%d of %d hosts failed the check (each says why above)", failed, len(checks))}
	}
	return nil
}

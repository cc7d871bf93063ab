package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/planrun/planrun/fate"
)

// modelVerifyArgs are `planrun model verify`'s arguments.
type modelVerifyArgs struct {
	path   string
	config string
	json   bool
}

func newModelVerifyCmd(s streams) *cobra.Command {
	var a modelVerifyArgs
	cmd := &cobra.Command{
		Use:   "verify PATH --config migrate_model.json",
		Short: "Prove that no old party id is left anywhere in a migrated model",
		Long: `Verify scans every buffer and JSON/YAML document of a model (directory or zip)
for the old party ids of migrate_model.json (those whose id changes) in a
party-bearing form: role:pid, role_pid_..., (role,pid), role#pid#, role-pid in
model ids, party_id fields and role lists. It prints "clean" and exits 0, or
lists each place as file: field: value and exits 1.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a.path = args[0]
			return runModelVerify(s, a)
		},
	}
	cmd.Flags().StringVar(&a.config, "config", "", "FATE's migrate_model.json (required)")
	cmd.Flags().BoolVar(&a.json, "json", false, "print the residue as JSON")
	return cmd
}

func runModelVerify(s streams, a modelVerifyArgs) error {
	cfg, err := loadMigrateConfig(a.config)
	if err != nil {
		return err
	}
	residue, err := fate.ScanFor(a.path, cfg)
	if err != nil {
		return &exitError{Code: exitStepFailed, Err: err}
	}
	if a.json {
		if residue == nil {
			residue = []fate.Residue{}
		}
		enc := json.NewEncoder(s.out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(residue); err != nil {
			return err
		}
	} else if len(residue) == 0 {
		fmt.Fprintln(s.out, "clean")
	} else {
		for _, r := range residue {
			fmt.Fprintln(s.out, r)
		}
	}
	if len(residue) > 0 {
		return &exitError{Code: exitStepFailed, Err: fmt.Errorf("verify %s: %s left", a.path, count(len(residue), "old party id"))}
	}
	return nil
}

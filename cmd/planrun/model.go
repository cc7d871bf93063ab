package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/planrun/planrun/fate"
)

// newModelCmd groups the FATE model commands: inspect, migrate, verify
// (and sample). They work offline on model files; no FATE Flow is needed.
func newModelCmd(s streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "model",
		Short: "Inspect, migrate and verify FATE models offline",
		Long: `The model commands read a FATE model (one party's
model_local_cache/<role>#<party_id>#<model_id>/<version> directory, its parent,
or a zip of one) without any FATE Flow server.

Exit codes: 0 success, 1 the operation failed (or verify found old party ids),
2 usage error or an invalid config file.`,
	}
	cmd.AddCommand(
		// subcommands: keep one per line
		newModelInspectCmd(s),
		newModelMigrateCmd(s),
		newModelVerifyCmd(s),
		newModelSampleCmd(s),
	)
	return cmd
}

// loadMigrateConfig reads and validates migrate_model.json; an invalid
// file is a usage error (exit 2) listing every problem.
func loadMigrateConfig(path string) (*fate.MigrateConfig, error) {
	if path == "" {
		return nil, &exitError{Code: exitUsage, Err: fmt.Errorf("--config migrate_model.json is required")}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &exitError{Code: exitUsage, Err: fmt.Errorf("read config: %w", err)}
	}
	c, err := fate.ParseMigrateConfig(data, path)
	if err != nil {
		return nil, &exitError{Code: exitUsage, Err: fmt.Errorf("invalid config:\n%w", err)}
	}
	return c, nil
}

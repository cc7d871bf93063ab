package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/planrun/planrun/schemas"
)

func newSchemaCmd(s streams) *cobra.Command {
	return &cobra.Command{
		Use:   "schema [KIND]",
		Short: "Print the plan's JSON Schema, or one step kind's with: schema",
		Long: `Schema prints the JSON Schema (draft 2020-12) of plan files, with every
step kind's with: schema composed in, for editors:

  # yaml-language-server: $schema=planrun-plan.json

With a KIND it prints that kind's with: schema.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				_, err := s.out.Write(schemas.Plan())
				return err
			}
			b, ok := schemas.Kind(args[0])
			if !ok {
				return &exitError{Code: exitUsage, Err: fmt.Errorf("schema: unknown kind %q (kinds: %s)", args[0], strings.Join(schemas.Kinds(), ", "))}
			}
			if _, err := s.out.Write(b); err != nil {
				return err
			}
			if len(b) > 0 && b[len(b)-1] != '\n' {
				fmt.Fprintln(s.out)
			}
			return nil
		},
	}
}

package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/planrun/planrun/schemas"
)

// schemaArgs are `planrun schema`'s arguments.
type schemaArgs struct {
	kind   string
	format string // json or markdown
}

func newSchemaCmd(s streams) *cobra.Command {
	var a schemaArgs
	cmd := &cobra.Command{
		Use:   "schema [KIND]",
		Short: "Print the plan's JSON Schema, or one step kind's with: schema",
		Long: `Schema prints the JSON Schema (draft 2020-12) of plan files, with every
step kind's with: schema composed in, for editors (a with: field that is
not a string takes an expression too, as planrun resolves it at run time):

  # yaml-language-server: $schema=planrun-plan.json

The repository keeps the same in schemas/planrun.schema.json.

With a KIND it prints that kind's with: schema. --format markdown prints the
plan reference (every key, its type and description) instead.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				a.kind = args[0]
			}
			return runSchema(s.out, a)
		},
	}
	cmd.Flags().StringVar(&a.format, "format", "json", "output format: json or markdown")
	return cmd
}

func runSchema(out io.Writer, a schemaArgs) error {
	switch {
	case a.format != "json" && a.format != "markdown":
		return &exitError{Code: exitUsage, Err: fmt.Errorf("schema: unknown --format %q: want json or markdown", a.format)}
	case a.format == "markdown" && a.kind != "":
		return &exitError{Code: exitUsage, Err: fmt.Errorf("schema: --format markdown prints the whole reference: give no KIND")}
	case a.format == "markdown":
		_, err := io.WriteString(out, schemas.Reference())
		return err
	case a.kind == "":
		_, err := out.Write(schemas.Editor())
		return err
	}
	b, ok := schemas.Kind(a.kind)
	if !ok {
		return &exitError{Code: exitUsage, Err: fmt.Errorf("schema: unknown kind %q (kinds: %s)", a.kind, strings.Join(schemas.Kinds(), ", "))}
	}
	if _, err := out.Write(b); err != nil {
		return err
	}
	if len(b) > 0 && b[len(b)-1] != '\n' {
		_, err := fmt.Fprintln(out)
		return err
	}
	return nil
}

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/planrun/planrun/fate"
)

// modelInspectArgs are `planrun model inspect`'s arguments.
type modelInspectArgs struct {
	path string
	json bool
}

func newModelInspectCmd(s streams) *cobra.Command {
	var a modelInspectArgs
	cmd := &cobra.Command{
		Use:   "inspect PATH",
		Short: "Show a model's ids, parties, components and every party id found in it",
		Long: `Inspect reads one party's model (directory or zip) and prints its model_id,
version, fate_version, roles, initiator, components with their module names and
buffers, and every place each party id of the model appears (file, field, value).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a.path = args[0]
			return runModelInspect(s, a)
		},
	}
	cmd.Flags().BoolVar(&a.json, "json", false, "print the description as JSON")
	return cmd
}

func runModelInspect(s streams, a modelInspectArgs) error {
	info, err := fate.Inspect(a.path)
	if err != nil {
		return &exitError{Code: exitStepFailed, Err: err}
	}
	if a.json {
		enc := json.NewEncoder(s.out)
		enc.SetIndent("", "  ")
		return enc.Encode(info)
	}
	renderModelInfo(s.out, info)
	return nil
}

func renderModelInfo(w io.Writer, info *fate.ModelInfo) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "model_id:\t%s\n", info.ModelID)
	fmt.Fprintf(tw, "model_version:\t%s\n", info.ModelVersion)
	fmt.Fprintf(tw, "fate_version:\t%s\n", info.FATEVersion)
	if info.Role != "" {
		fmt.Fprintf(tw, "party:\t%s:%d (from the path)\n", info.Role, info.PartyID)
	}
	var roles []string
	for _, r := range info.Roles {
		ids := make([]string, len(r.PartyIDs))
		for i, id := range r.PartyIDs {
			ids[i] = strconv.FormatInt(id, 10)
		}
		roles = append(roles, r.Role+" ["+strings.Join(ids, ", ")+"]")
	}
	fmt.Fprintf(tw, "roles:\t%s\n", strings.Join(roles, ", "))
	if info.Initiator != nil {
		fmt.Fprintf(tw, "initiator:\t%s\n", info.Initiator)
	}
	fmt.Fprintf(tw, "files:\t%d (%d bytes)\n", info.Files, info.Bytes)
	tw.Flush()
	fmt.Fprintln(w, "components:")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, c := range info.Components {
		var models []string
		for _, md := range c.Models {
			var bufs []string
			for _, b := range md.Buffers {
				bufs = append(bufs, b.Name)
			}
			models = append(models, md.Alias+": "+strings.Join(bufs, ", "))
		}
		conv := ""
		if c.Converter {
			conv = "converter"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", c.Name, c.Module, conv, strings.Join(models, "; "))
	}
	tw.Flush()
	fmt.Fprintf(w, "party ids (%d places):\n", len(info.PartyIDs))
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, u := range info.PartyIDs {
		fmt.Fprintf(tw, "  %s:%d\t%s\t%s\t%q\n", u.Role, u.PartyID, u.File, u.Field, u.Value)
	}
	tw.Flush()
}

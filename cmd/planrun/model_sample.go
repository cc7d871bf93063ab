package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/planrun/planrun/fate/sample"
)

// modelSampleArgs are `planrun model sample`'s arguments.
type modelSampleArgs struct {
	out         string
	modelID     string
	version     string
	parties     string
	components  string
	size        string
	seed        uint64
	fateVersion string
	treeDepth   int
	noJSON      bool
	checkpoints bool
	json        bool
}

func newModelSampleCmd(s streams) *cobra.Command {
	var a modelSampleArgs
	cmd := &cobra.Command{
		Use:   "sample OUTDIR",
		Short: "Write a realistic FATE model for every party (for examples, tests and benchmarks)",
		Long: `Sample writes one FATE model per party under OUTDIR, laid out as
model_local_cache: OUTDIR/<role>#<party_id>#<model_id>/<version>/. The guest and
hosts get every component (DataTransform, HeteroFeatureBinning,
HeteroFeatureSelection, HeteroSecureBoost by default; HeteroPearson on request),
the arbiter only the pipeline. Buffers hold the party ids where FATE writes them,
so the models migrate and verify like real ones. --size grows the SecureBoost
trees until each party's SecureBoost Param buffer reaches that size. The same
flags and --seed always write the same bytes; an existing party directory is an
error.`,
		Example: `  planrun model sample work/cache
  planrun model sample work/cache --parties guest:9999,host:10000,host:10001,arbiter:10000 --size 200MB --no-json
  planrun model sample work/old --fate-version 1.6.1 --components DataTransform,HeteroSecureBoost`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a.out = args[0]
			opts, err := a.options()
			if err != nil {
				return &exitError{Code: exitUsage, Err: err}
			}
			return runModelSample(cmd.Context(), s, a, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&a.modelID, "model-id", "", "model id (default: FATE's gen_model_id of the parties)")
	f.StringVar(&a.version, "version", "", "model version (default 202311251200000000000)")
	f.StringVar(&a.parties, "parties", "guest:9999,host:10000,arbiter:10000", "parties as role:party_id, comma separated")
	f.StringVar(&a.components, "components", strings.Join(sample.DefaultComponents, ","), "module names, comma separated (also HeteroPearson)")
	f.StringVar(&a.size, "size", "", "target size of each SecureBoost Param buffer, e.g. 200MB (KB, MB, GB are powers of 1024)")
	f.Uint64Var(&a.seed, "seed", 0, "seed for the numbers in the model")
	f.StringVar(&a.fateVersion, "fate-version", "1.11.2", "FATE version whose layout to write (1.5 to 1.11)")
	f.IntVar(&a.treeDepth, "tree-depth", 5, "depth of every SecureBoost tree")
	f.BoolVar(&a.noJSON, "no-json", false, "skip the .json twins of the buffers")
	f.BoolVar(&a.checkpoints, "checkpoints", false, "also write checkpoint/ for SecureBoost")
	f.BoolVar(&a.json, "json", false, "print what was written as JSON")
	return cmd
}

// options turns the flags into sample.Options.
func (a modelSampleArgs) options() (sample.Options, error) {
	o := sample.Options{ModelID: a.modelID, Version: a.version, Seed: a.seed, FATEVersion: a.fateVersion,
		TreeDepth: a.treeDepth, NoJSON: a.noJSON, Checkpoints: a.checkpoints}
	var err error
	if o.Parties, err = sample.ParseParties(a.parties); err != nil {
		return o, fmt.Errorf("--parties: %w", err)
	}
	for _, c := range strings.Split(a.components, ",") {
		if c = strings.TrimSpace(c); c != "" {
			o.Components = append(o.Components, c)
		}
	}
	if a.size != "" {
		if o.SizeBytes, err = parseSize(a.size); err != nil {
			return o, fmt.Errorf("--size: %w", err)
		}
	}
	return o, nil
}

// parseSize reads "200MB", "512KB", "1GB", "1048576" or "3B".
func parseSize(s string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseFloat(t, 64)
	if err != nil || n < 0 || n*float64(mult) > 1<<40 {
		return 0, fmt.Errorf("parse size %q: want a number with an optional KB, MB or GB unit", s)
	}
	return int64(n * float64(mult)), nil
}

func runModelSample(ctx context.Context, s streams, a modelSampleArgs, opts sample.Options) error {
	res, err := sample.WriteContext(ctx, a.out, opts)
	if err != nil {
		var oe *sample.OptionsError
		if errors.As(err, &oe) {
			return &exitError{Code: exitUsage, Err: err}
		}
		return &exitError{Code: exitStepFailed, Err: err}
	}
	if a.json {
		enc := json.NewEncoder(s.out)
		enc.SetIndent("", "  ")
		return enc.Encode(sampleView(res))
	}
	renderSample(s.out, res)
	return nil
}

type sampleParty struct {
	Role       string   `json:"role"`
	PartyID    int64    `json:"party_id"`
	Dir        string   `json:"dir"`
	Components []string `json:"components"`
	Files      int      `json:"files"`
	Bytes      int64    `json:"bytes"`
}

type sampleResult struct {
	ModelID      string        `json:"model_id"`
	ModelVersion string        `json:"model_version"`
	FATEVersion  string        `json:"fate_version"`
	Parties      []sampleParty `json:"parties"`
}

func sampleView(r *sample.Result) sampleResult {
	v := sampleResult{ModelID: r.ModelID, ModelVersion: r.Version, FATEVersion: r.FATEVersion}
	for _, p := range r.Parties {
		comps := p.Components
		if comps == nil {
			comps = []string{}
		}
		v.Parties = append(v.Parties, sampleParty{Role: p.Role, PartyID: p.ID, Dir: p.Dir, Components: comps, Files: p.Files, Bytes: p.Bytes})
	}
	return v
}

func renderSample(w io.Writer, r *sample.Result) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "model_id:\t%s\n", r.ModelID)
	fmt.Fprintf(tw, "model_version:\t%s\n", r.Version)
	fmt.Fprintf(tw, "fate_version:\t%s\n", r.FATEVersion)
	tw.Flush()
	for _, p := range r.Parties {
		comps := "pipeline only"
		if len(p.Components) > 0 {
			comps = strings.Join(p.Components, ", ")
		}
		fmt.Fprintf(w, "wrote %s: %s (%d files, %s): %s\n", p.Party, p.Dir, p.Files, humanBytes(p.Bytes), comps)
	}
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

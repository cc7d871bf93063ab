package main

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/planrun/planrun/fate"
	"github.com/planrun/planrun/plan"
)

// initArgs are `planrun init`'s flags.
type initArgs struct {
	migrate string
	hosts   string
	engine  string
	models  string
	out     string
	name    string
	force   bool
}

// inventory is a hosts.yaml for planrun init, and the file it was read from.
type inventory struct {
	*plan.Inventory
	file string
}

func newInitCmd(s streams) *cobra.Command {
	a := &initArgs{}
	cmd := &cobra.Command{
		Use:   "init --migrate migrate_model.json --hosts hosts.yaml",
		Short: "Write a complete migration plan from FATE's migrate config and a hosts inventory",
		Long: `Init writes a commented plan that migrates a FATE model for every target
party: for each party of migrate_role whose old id is in execute_party, five
steps — copy the model files, migrate, collect the new zip, ship it to the
new cluster, import it — and, with --engine native, a sixth that verifies
that no old party id is left in the imported model (FATE's own migration
leaves some stale, so flow plans do not get it). The written plan
validates as is; review it, then run it with planrun apply.

--engine native (default) migrates the files with planrun itself, offline, on
this machine: it works whatever FATE version and even when the old cluster is
gone. --engine flow asks FATE Flow to migrate (/v1/model/migrate):
  federated_mode SINGLE    each party's migration runs on the FATE Flow of its
                           old cluster, where the model was trained or
                           imported (FATE 1.9+ migrates only the components
                           its database lists: a model merely copied into
                           another cluster's model_local_cache would lose
                           them; the migrate step checks for that);
  federated_mode MULTIPLE  the migrate_initiator's FATE Flow submits every
                           party's migration; each runs on the party's old
                           cluster (through FATE's proxy).
With either mode the zip is collected from the old cluster, and the first
step keeps a copy of the source model with the run.
Each new model is imported with FATE Flow when the new host has a flow URL,
otherwise unpacked natively into its model_local_cache.

hosts.yaml maps hosts and parties:

  hosts:                       # as a plan's hosts: (ssh, flow, fate_base, ...)
    old-guest: {ssh: app@10.1.0.5, flow: http://10.1.0.5:9380, fate_base: /data/projects/fate}
    new-guest: {ssh: app@10.2.0.5, flow: http://10.2.0.5:9380, fate_base: /data/projects/fate}
  parties:                     # "role:party_id" (old and new ids) -> host
    "guest:9999": old-guest
    "guest:99": new-guest

--models models.csv (a header row with model_id and model_version, and
optionally unify_model_version) repeats the steps for each model in a batch;
the model_id/model_version of the config are then ignored.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runInit(s, *a)
		},
	}
	f := cmd.Flags()
	f.StringVar(&a.migrate, "migrate", "", "FATE's migrate_model.json `FILE` (required)")
	f.StringVar(&a.hosts, "hosts", "", "hosts inventory `FILE` (required; see above)")
	f.StringVar(&a.engine, "engine", "native", "migration engine: native or flow")
	f.StringVar(&a.models, "models", "", "CSV `FILE` of models (model_id,model_version) for a batch")
	f.StringVarP(&a.out, "output", "o", "", "write the plan to `FILE` (default: standard output)")
	f.StringVar(&a.name, "name", "", "plan name (default: migrate-<model_id's parties>)")
	f.BoolVar(&a.force, "force", false, "overwrite an existing output file")
	return cmd
}

func usage(format string, a ...any) error {
	return &exitError{Code: exitUsage, Err: fmt.Errorf(format, a...)}
}

func runInit(s streams, a initArgs) error {
	if a.migrate == "" || a.hosts == "" {
		return usage("init needs --migrate FILE and --hosts FILE")
	}
	if a.engine != "native" && a.engine != "flow" {
		return usage("--engine %q: want native or flow", a.engine)
	}
	raw, err := os.ReadFile(a.migrate)
	if err != nil {
		return usage("read migrate config: %v", err)
	}
	mc, err := fate.ParseMigrateConfig(raw, a.migrate)
	if err != nil {
		return &exitError{Code: exitUsage, Err: err}
	}
	inv, err := readInventory(a.hosts, s.err)
	if err != nil {
		return &exitError{Code: exitUsage, Err: err}
	}
	// The inventory's file names are relative to it; the plan's are
	// relative to the plan, which may be written elsewhere.
	outDir := "."
	if a.out != "" {
		outDir = filepath.Dir(a.out)
	}
	rebase := relDir(outDir, filepath.Dir(a.hosts))
	for h, spec := range inv.Hosts {
		inv.Hosts[h] = spec.Rebased(rebase)
	}
	var models []modelItem
	if a.models != "" {
		if models, err = readModels(a.models); err != nil {
			return &exitError{Code: exitUsage, Err: err}
		}
	}
	g := &planGen{cfg: mc, inv: inv, engine: a.engine, models: models, name: a.name, now: time.Now().UTC(),
		configFile: filepath.Join(relDir(outDir, filepath.Dir(a.migrate)), filepath.Base(a.migrate))}
	doc, err := g.build()
	if err != nil {
		return &exitError{Code: exitUsage, Err: err}
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return err
	}
	enc.Close()
	if a.out == "" {
		_, err := io.Copy(s.out, &buf)
		return err
	}
	flag := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if a.force {
		flag = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(a.out, flag, 0o644)
	if errors.Is(err, os.ErrExist) {
		return usage("%s exists (use --force to overwrite it)", a.out)
	}
	if err != nil {
		return usage("write plan: %v", err)
	}
	if _, err := f.Write(buf.Bytes()); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(s.err, "wrote %s: %d targets, %d steps each; check it with: planrun plan %s\n", a.out, g.targets, g.steps, a.out)
	return nil
}

// relDir is the directory to, relative to the directory from (both
// relative to the working directory, or absolute); absolute when there
// is no relative way.
func relDir(from, to string) string {
	af, err1 := filepath.Abs(from)
	at, err2 := filepath.Abs(to)
	if err1 != nil || err2 != nil {
		return to
	}
	if r, err := filepath.Rel(af, at); err == nil {
		return r
	}
	return at
}

// readInventory reads hosts.yaml; its problems are printed to stderr
// as file:line:col: message, every one of them.
func readInventory(p string, stderr io.Writer) (*inventory, error) {
	in, err := plan.LoadInventory(p, func(party string) error {
		_, err := fate.ParseParty(party)
		return err
	})
	var es plan.Errors
	if errors.As(err, &es) {
		for _, e := range es {
			fmt.Fprintln(stderr, e)
		}
		return nil, fmt.Errorf("invalid hosts inventory %s: %s", p, count(len(es), "problem"))
	}
	if err != nil {
		return nil, err
	}
	return &inventory{Inventory: in, file: p}, nil
}

// modelItem is one row of --models.
type modelItem struct {
	ModelID, ModelVersion, Unify string
}

func readModels(p string) ([]modelItem, error) {
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("read models: %w", err)
	}
	data = bytes.TrimPrefix(data, []byte("\uFEFF")) // a spreadsheet's byte order mark
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma = plan.CSVComma(data)
	r.TrimLeadingSpace = true
	rows, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	if len(rows) < 2 {
		return nil, fmt.Errorf("%s: want a header row (model_id,model_version) and at least one model", p)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[strings.TrimSpace(h)] = i
	}
	mi, ok1 := col["model_id"]
	vi, ok2 := col["model_version"]
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("%s:1: the header must name the columns model_id and model_version", p)
	}
	ui, hasU := col["unify_model_version"]
	var out []modelItem
	seen := map[string]int{}
	for n, row := range rows[1:] {
		it := modelItem{ModelID: strings.TrimSpace(row[mi]), ModelVersion: strings.TrimSpace(row[vi])}
		if hasU {
			it.Unify = strings.TrimSpace(row[ui])
		}
		if it.ModelID == "" || it.ModelVersion == "" {
			return nil, fmt.Errorf("%s:%d: empty model_id or model_version", p, n+2)
		}
		k := it.ModelID + "\x00" + it.ModelVersion
		if prev, dup := seen[k]; dup {
			return nil, fmt.Errorf("%s:%d: the same model as line %d", p, n+2, prev)
		}
		seen[k] = n + 2
		out = append(out, it)
	}
	return out, nil
}

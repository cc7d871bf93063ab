package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/spf13/cobra"

	"github.com/planrun/planrun/fate"
)

// modelMigrateArgs are `planrun model migrate`'s arguments.
type modelMigrateArgs struct {
	config   string
	party    string
	compat   string
	json     bool
	maxBytes int64
	src, out string
}

func newModelMigrateCmd(s streams) *cobra.Command {
	var a modelMigrateArgs
	cmd := &cobra.Command{
		Use:   "migrate --config migrate_model.json [--party ROLE:OLD_ID] [--compat fate] SRC OUT",
		Short: "Rewrite a model for new party ids, offline, into a FATE import zip",
		Long: `Migrate rewrites one party's model for the new party ids of FATE's
migrate_model.json, as FATE 1.9+'s migration does (plus the party-id fields FATE
forgets, unless --compat fate), and writes OUT/<new party_model_id>_<version>.zip
with an import_model.json inside. It prints "<sha256>  <zip>" per archive.

SRC is one party's model (a <role>#<party_id>#<model_id>/<version> directory,
its parent, or a zip), or a model_local_cache directory: then every party of the
config's model_id/model_version found in it (and listed in execute_party) is
migrated. --party picks one party. The version is unify_model_version, or the
source's version when that is empty. The source is never modified.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			a.src, a.out = args[0], args[1]
			return runModelMigrate(cmd.Context(), s, a)
		},
	}
	f := cmd.Flags()
	f.StringVar(&a.config, "config", "", "FATE's migrate_model.json (required)")
	f.StringVar(&a.party, "party", "", "the old party to migrate, as ROLE:PARTY_ID (default: from SRC's name, else its runtime_conf_on_party.local)")
	f.StringVar(&a.compat, "compat", "planrun", "planrun (also fix what FATE leaves stale) or fate (FATE 1.9+'s output exactly)")
	f.BoolVar(&a.json, "json", false, "print the results as JSON")
	f.Int64Var(&a.maxBytes, "max-unpacked-bytes", fate.DefaultZipLimits.MaxBytes, "refuse a zip SRC that unpacks to more than this")
	return cmd
}

func runModelMigrate(ctx context.Context, s streams, a modelMigrateArgs) error {
	cfg, err := loadMigrateConfig(a.config)
	if err != nil {
		return err
	}
	var compat fate.Compat
	switch a.compat {
	case "planrun", "":
		compat = fate.CompatPlanrun
	case "fate":
		compat = fate.CompatFATE
	default:
		return &exitError{Code: exitUsage, Err: fmt.Errorf("--compat %q: want planrun or fate", a.compat)}
	}
	var party *fate.Party
	if a.party != "" {
		p, err := fate.ParseParty(a.party)
		if err != nil {
			return &exitError{Code: exitUsage, Err: err}
		}
		party = &p
	}
	type job struct {
		src  string
		role string
		pid  int64
	}
	var jobs []job
	if fate.IsModelCache(a.src) {
		found, err := fate.FindParties(a.src, cfg.ModelID, cfg.ModelVersion)
		if err != nil {
			return &exitError{Code: exitStepFailed, Err: err}
		}
		for _, pm := range found {
			switch {
			case party != nil && (pm.Role != party.Role || pm.PartyID != party.PartyID):
			case party == nil && !slices.Contains(cfg.ExecuteParty[pm.Role], pm.PartyID):
				fmt.Fprintf(s.err, "skip %s:%d: not in execute_party\n", pm.Role, pm.PartyID)
			default:
				jobs = append(jobs, job{pm.Dir, pm.Role, pm.PartyID})
			}
		}
		if len(jobs) == 0 {
			return &exitError{Code: exitStepFailed, Err: fmt.Errorf("migrate %s: no party to migrate found", a.src)}
		}
	} else {
		j := job{src: a.src}
		if party != nil {
			j.role, j.pid = party.Role, party.PartyID
		}
		jobs = append(jobs, j)
	}
	var results []*fate.MigrateResult
	failed := 0
	for _, j := range jobs {
		res, err := fate.Migrate(ctx, fate.MigrateRequest{Src: j.src, OutDir: a.out, Config: cfg,
			Role: j.role, PartyID: j.pid, Compat: compat, Limits: fate.ZipLimits{MaxBytes: a.maxBytes}})
		if err != nil {
			fmt.Fprintln(s.err, "planrun:", err)
			failed++
			continue
		}
		results = append(results, res)
		if !a.json {
			fmt.Fprintf(s.out, "%s  %s\n", res.SHA256, res.Zip)
		}
	}
	if a.json {
		enc := json.NewEncoder(s.out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(results); err != nil {
			return err
		}
	}
	if failed > 0 {
		return &exitError{Code: exitStepFailed, Err: fmt.Errorf("migrate: %d of %d parties failed", failed, len(jobs))}
	}
	return nil
}

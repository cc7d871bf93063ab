package migrate

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/planrun/planrun/fate"
	"github.com/planrun/planrun/hosts"
	"github.com/planrun/planrun/steps"
)

// Migrate is the migrate kind.
type Migrate struct {
	// LookupEnv reads the environment (FATE Flow signing secrets); nil
	// means os.LookupEnv.
	LookupEnv func(string) (string, bool)
}

var (
	_ steps.Kind           = (*Migrate)(nil)
	_ steps.Prober         = (*Migrate)(nil)
	_ steps.IdempotentWith = (*Migrate)(nil)
	_ steps.Validator      = (*Migrate)(nil)
	_ steps.HostUser       = (*Migrate)(nil)
)

// New returns the migrate kind.
func New() *Migrate { return &Migrate{} }

func (*Migrate) Name() string   { return "migrate" }
func (*Migrate) Version() int   { return 1 }
func (*Migrate) NewConfig() any { return &Config{} }

// Idempotent: the kind as a whole is not (engine flow submits to a
// server); engine native steps are made safe to re-run by their probe.
func (*Migrate) Idempotent() bool { return false }

// IdempotentWith: engine native re-runs harmlessly (it writes the same
// archive again, in the step's own output directory).
func (*Migrate) IdempotentWith(cfg any) bool {
	c, ok := cfg.(*Config)
	return ok && c.Engine == EngineNative
}

// HostRefs names the FATE Flow host (flow) or the model's host (native).
func (*Migrate) HostRefs(cfg any) []steps.HostRef {
	c := cfg.(*Config)
	var refs []steps.HostRef
	if c.Host != "" {
		refs = append(refs, steps.HostRef{Path: "host", Host: c.Host})
	}
	if c.Model != "" {
		h, _ := hosts.ParseAddress(c.Model)
		refs = append(refs, steps.HostRef{Path: "model", Host: h})
	}
	return refs
}

func (m *Migrate) lookup() func(string) (string, bool) {
	if m.LookupEnv != nil {
		return m.LookupEnv
	}
	return os.LookupEnv
}

// Run migrates with the configured engine.
func (m *Migrate) Run(ctx context.Context, env *steps.Env, cfg any) (steps.Outputs, error) {
	c := cfg.(*Config)
	mc, raw, err := load(c, env.BaseDir)
	if err != nil {
		return nil, err
	}
	if c.Engine == EngineFlow {
		return m.runFlow(ctx, env, c, mc, raw)
	}
	return runNative(ctx, env, c, mc)
}

// Probe reports whether the migration's result is already there.
func (m *Migrate) Probe(ctx context.Context, env *steps.Env, cfg any, last steps.Outputs) (steps.ProbeResult, error) {
	c := cfg.(*Config)
	if c.Engine == EngineFlow {
		return m.probeFlow(ctx, env, c, last)
	}
	zip, _ := last["zip"].(string)
	sum, _ := last["sha256"].(string)
	if zip == "" || sum == "" {
		return steps.ProbeResult{}, nil
	}
	file, err := steps.LocalPath(ctx, env, zip)
	if err != nil {
		return steps.ProbeResult{}, err
	}
	got, err := fate.FileSHA256(file)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return steps.ProbeResult{Why: file + " is gone"}, nil
	case err != nil || got != sum:
		return steps.ProbeResult{Why: file + " no longer has the sha256 it was made with"}, nil
	}
	return steps.ProbeResult{Done: true, Outputs: last}, nil
}

func runNative(ctx context.Context, env *steps.Env, c *Config, mc *fate.MigrateConfig) (steps.Outputs, error) {
	party, err := fate.ParseParty(c.Party)
	if err != nil {
		return nil, fmt.Errorf("party: %w", err)
	}
	src, err := steps.Fetch(ctx, env, c.Model, "src")
	if err != nil {
		return nil, err
	}
	out := env.StepDir()
	if c.Out != "" {
		_, p := hosts.ParseAddress(c.Out)
		if out, err = steps.LocalPath(ctx, env, p); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, err
	}
	compat := fate.CompatPlanrun
	if c.Compat == "fate" {
		compat = fate.CompatFATE
	}
	res, err := fate.Migrate(ctx, fate.MigrateRequest{Src: src, OutDir: out, Config: mc,
		Role: party.Role, PartyID: party.PartyID, Compat: compat})
	if err != nil {
		return nil, fmt.Errorf("migrate %s: %w", c.Party, err)
	}
	if env.Log != nil {
		fmt.Fprintf(env.Log, "migrated %s (%s) to %s %s: %s sha256 %s\n", c.Party, c.Model, res.PartyModelID, res.ModelVersion, res.Zip, res.SHA256)
	}
	return steps.Outputs{"party": c.Party, "model_id": res.ModelID, "party_model_id": res.PartyModelID,
		"model_version": res.ModelVersion, "zip": steps.LocalOutput(ctx, env, res.Zip), "sha256": res.SHA256}, nil
}

package modelimport

import (
	"context"
	"fmt"
	"os"
	"strconv"

	"github.com/planrun/planrun/fate"
	"github.com/planrun/planrun/fate/flow"
	"github.com/planrun/planrun/hosts"
	"github.com/planrun/planrun/steps"
)

// Import is the import kind.
type Import struct {
	// LookupEnv reads the environment (FATE Flow signing secrets); nil
	// means os.LookupEnv.
	LookupEnv func(string) (string, bool)
}

var (
	_ steps.Kind           = (*Import)(nil)
	_ steps.Prober         = (*Import)(nil)
	_ steps.Validator      = (*Import)(nil)
	_ steps.IdempotentWith = (*Import)(nil)
	_ steps.HostUser       = (*Import)(nil)
)

// New returns the import kind.
func New() *Import { return &Import{} }

func (*Import) Name() string   { return "import" }
func (*Import) Version() int   { return 1 }
func (*Import) NewConfig() any { return &Config{} }

// Idempotent is false: re-running a flow import posts again (the kind
// makes that safe by comparing with what is there, and its probe settles
// unknown outcomes).
func (*Import) Idempotent() bool { return false }

// IdempotentWith: engine native re-runs harmlessly (an archive already
// imported, as its marker says, is not copied again).
func (*Import) IdempotentWith(cfg any) bool {
	c, ok := cfg.(*Config)
	return ok && c.Engine == "native"
}

// HostRefs names the target host and the archive's host.
func (*Import) HostRefs(cfg any) []steps.HostRef {
	c := cfg.(*Config)
	fh, _ := hosts.ParseAddress(c.File)
	return []steps.HostRef{{Path: "host", Host: c.Host}, {Path: "file", Host: fh}}
}

func (k *Import) lookup() func(string) (string, bool) {
	if k.LookupEnv != nil {
		return k.LookupEnv
	}
	return os.LookupEnv
}

func (k *Import) client(env *steps.Env, host string) (*flow.Client, error) {
	spec, ok := env.Hosts.Spec(host)
	if !ok {
		return nil, fmt.Errorf("host %s is not in the inventory", host)
	}
	return flow.ForHost(host, spec, k.lookup(), flow.Options{})
}

// Run imports with the configured engine.
func (k *Import) Run(ctx context.Context, env *steps.Env, cfg any) (steps.Outputs, error) {
	c := cfg.(*Config)
	if c.Engine == "flow" {
		return k.runFlow(ctx, env, c)
	}
	return k.runNative(ctx, env, c)
}

// Probe reports whether the model is already on the target.
func (k *Import) Probe(ctx context.Context, env *steps.Env, cfg any, last steps.Outputs) (steps.ProbeResult, error) {
	c := cfg.(*Config)
	if c.Engine == "flow" {
		cl, err := k.client(env, c.Host)
		if err != nil {
			return steps.ProbeResult{}, err
		}
		ok, err := cl.Exists(ctx, flow.ModelRef{Role: c.Role, PartyID: c.PartyID, ModelID: c.ModelID, ModelVersion: c.ModelVersion})
		if err != nil {
			return steps.ProbeResult{}, err
		}
		if !ok {
			return steps.ProbeResult{Why: fmt.Sprintf("the FATE Flow of %s has no model %s %s",
				c.Host, fate.PartyModelID(c.Role, c.PartyID, c.ModelID), c.ModelVersion)}, nil
		}
		out := outputs(c.Role, c.PartyID, c.ModelID, c.ModelVersion, "", "")
		if last != nil {
			out["job_id"], out["sha256"] = last["job_id"], last["sha256"]
		}
		return steps.ProbeResult{Done: true, Outputs: out}, nil
	}
	return k.probeNative(ctx, env, c, last)
}

func outputs(role string, party int64, modelID, version, jobID, sum string) steps.Outputs {
	return steps.Outputs{"model_id": modelID, "model_version": version,
		"party_model_id": fate.PartyModelID(role, party, modelID), "job_id": jobID, "sha256": sum,
		"party": role + ":" + strconv.FormatInt(party, 10)}
}

// Package verify is the `verify` step kind: it proves that no old party id
// is left anywhere in a migrated (or imported) FATE model, by running the
// residue scan of package fate over every buffer and JSON document.
package verify

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/planrun/planrun/fate"
	"github.com/planrun/planrun/hosts"
	"github.com/planrun/planrun/steps"
)

// Config is the `with:` block of a verify step.
type Config struct {
	// Model is "host:path" of a party's model directory, its parent, a
	// model_local_cache entry or a zip.
	Model string `yaml:"model"`
	// ConfigFile is FATE's migrate_model.json (relative to the plan's
	// directory); the old ids it changes are what the scan looks for.
	ConfigFile string `yaml:"config_file"`
}

// Verify is the verify kind.
type Verify struct{}

var (
	_ steps.Kind      = (*Verify)(nil)
	_ steps.Validator = (*Verify)(nil)
	_ steps.HostUser  = (*Verify)(nil)
)

// New returns the verify kind.
func New() *Verify { return &Verify{} }

func (*Verify) Name() string     { return "verify" }
func (*Verify) Version() int     { return 1 }
func (*Verify) Idempotent() bool { return true }
func (*Verify) NewConfig() any   { return &Config{} }

// HostRefs names the host that holds the model.
func (*Verify) HostRefs(cfg any) []steps.HostRef {
	c := cfg.(*Config)
	if c.Model == "" || strings.HasPrefix(c.Model, "${{") {
		return nil
	}
	h, _ := hosts.ParseAddress(c.Model)
	return []steps.HostRef{{Path: "model", Host: h}}
}

// Validate checks the required fields.
func (*Verify) Validate(cfg any) []steps.FieldError {
	c := cfg.(*Config)
	var errs []steps.FieldError
	if c.Model == "" {
		errs = append(errs, steps.FieldError{Path: "model", Msg: "required: host:path of the model to scan"})
	}
	if c.ConfigFile == "" {
		errs = append(errs, steps.FieldError{Path: "config_file", Msg: "required: the migrate_model.json whose old party ids must be gone"})
	}
	return errs
}

// Run scans the model and fails with every residue found.
func (*Verify) Run(ctx context.Context, env *steps.Env, cfg any) (steps.Outputs, error) {
	c := cfg.(*Config)
	cfgPath := c.ConfigFile
	if !filepath.IsAbs(cfgPath) {
		cfgPath = filepath.Join(env.BaseDir, cfgPath)
	}
	raw, err := os.ReadFile(cfgPath)
	if err != nil {
		return nil, fmt.Errorf("read config_file: %w", err)
	}
	mc, err := fate.ParseMigrateConfig(raw, c.ConfigFile)
	if err != nil {
		return nil, err
	}
	model, err := steps.Fetch(ctx, env, c.Model, "model")
	if err != nil {
		return nil, err
	}
	found, err := fate.ScanFor(model, mc)
	if err != nil {
		return nil, fmt.Errorf("scan %s: %w", c.Model, err)
	}
	if len(found) > 0 {
		var b strings.Builder
		fmt.Fprintf(&b, "%d old party ids left in %s:", len(found), c.Model)
		for i, r := range found {
			if i == 20 {
				fmt.Fprintf(&b, "\n  ... and %d more", len(found)-i)
				break
			}
			b.WriteString("\n  " + r.String())
		}
		return nil, fmt.Errorf("%s", b.String())
	}
	if env.Log != nil {
		fmt.Fprintf(env.Log, "%s: clean, no old party id of %s left\n", c.Model, c.ConfigFile)
	}
	return steps.Outputs{"clean": true, "model": c.Model}, nil
}

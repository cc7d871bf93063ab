package transfer

import (
	"context"
	"fmt"
	"path"

	"github.com/planrun/planrun/hosts"
	"github.com/planrun/planrun/steps"
)

// Config is the `with:` block of a transfer step.
type Config struct {
	From     string   `yaml:"from"`
	To       string   `yaml:"to"`
	Parallel int      `yaml:"parallel"`
	Exclude  []string `yaml:"exclude"`
	Checksum bool     `yaml:"checksum"`
	BWLimit  string   `yaml:"bwlimit"`
}

// Transfer is the transfer kind.
type Transfer struct{}

var (
	_ steps.Kind      = (*Transfer)(nil)
	_ steps.Prober    = (*Transfer)(nil)
	_ steps.Validator = (*Transfer)(nil)
	_ steps.HostUser  = (*Transfer)(nil)
)

// New returns the transfer kind.
func New() *Transfer { return &Transfer{} }

func (*Transfer) Name() string     { return "transfer" }
func (*Transfer) Version() int     { return 1 }
func (*Transfer) Idempotent() bool { return true }
func (*Transfer) NewConfig() any   { return &Config{} }

// HostRefs names the source and destination hosts.
func (*Transfer) HostRefs(cfg any) []steps.HostRef {
	c := cfg.(*Config)
	fh, _ := hosts.ParseAddress(c.From)
	th, _ := hosts.ParseAddress(c.To)
	return []steps.HostRef{{Path: "from", Host: fh}, {Path: "to", Host: th}}
}

// Validate checks addresses, parallelism and globs.
func (*Transfer) Validate(cfg any) []steps.FieldError {
	c := cfg.(*Config)
	var errs []steps.FieldError
	for _, f := range []struct{ name, v string }{{"from", c.From}, {"to", c.To}} {
		if _, p := hosts.ParseAddress(f.v); p == "" {
			errs = append(errs, steps.FieldError{Path: f.name, Msg: fmt.Sprintf("%q has no path (want host:path)", f.v)})
		}
	}
	if c.Parallel < 0 {
		errs = append(errs, steps.FieldError{Path: "parallel", Msg: "must be at least 1"})
	}
	for i, g := range c.Exclude {
		if _, err := path.Match(g, ""); err != nil {
			errs = append(errs, steps.FieldError{Path: fmt.Sprintf("exclude[%d]", i), Msg: fmt.Sprintf("bad glob %q: %v", g, err)})
		}
	}
	if _, err := steps.ParseRate(c.BWLimit); err != nil {
		errs = append(errs, steps.FieldError{Path: "bwlimit", Msg: err.Error()})
	}
	return errs
}

// Run copies from → to.
func (*Transfer) Run(ctx context.Context, env *steps.Env, cfg any) (steps.Outputs, error) {
	c := cfg.(*Config)
	res, err := run(ctx, env, c, false)
	if err != nil {
		return nil, err
	}
	if env.Log != nil {
		fmt.Fprintf(env.Log, "transfer %s -> %s: %d files, %d bytes, %d files already identical, %d bytes sent\n",
			c.From, c.To, res.Files, res.Bytes, res.Skipped, res.Sent)
	}
	return outputs(res), nil
}

// Probe reports done when the destination already holds every source file
// with the same sha256.
func (*Transfer) Probe(ctx context.Context, env *steps.Env, cfg any, last steps.Outputs) (steps.ProbeResult, error) {
	res, err := run(ctx, env, cfg.(*Config), true)
	if err != nil {
		return steps.ProbeResult{}, err
	}
	if res.SHA256 == "" {
		c := cfg.(*Config)
		why := fmt.Sprintf("%d of %d file(s) at %s are missing or differ from %s", res.Files-res.Skipped, res.Files, c.To, c.From)
		if res.Skipped == res.Files {
			why = fmt.Sprintf("directories of %s are missing at %s", c.From, c.To)
		}
		return steps.ProbeResult{Why: why}, nil
	}
	return steps.ProbeResult{Done: true, Outputs: outputs(res)}, nil
}

func run(ctx context.Context, env *steps.Env, c *Config, check bool) (hosts.CopyResult, error) {
	fh, fp := hosts.ParseAddress(c.From)
	th, tp := hosts.ParseAddress(c.To)
	src, err := env.Hosts.Host(ctx, fh)
	if err != nil {
		return hosts.CopyResult{}, err
	}
	dst, err := env.Hosts.Host(ctx, th)
	if err != nil {
		return hosts.CopyResult{}, err
	}
	rate, err := steps.ParseRate(c.BWLimit)
	if err != nil {
		return hosts.CopyResult{}, err
	}
	opts := hosts.CopyOptions{Parallel: c.Parallel, Exclude: c.Exclude, Checksum: c.Checksum, CheckOnly: check, BytesPerSecond: rate}
	if env.Progress != nil && !check {
		opts.Progress = env.Progress
	}
	return hosts.Copy(ctx, src, fp, dst, tp, opts)
}

func outputs(r hosts.CopyResult) steps.Outputs {
	return steps.Outputs{"path": r.Path, "bytes": r.Bytes, "files": r.Files, "sha256": r.SHA256}
}

package collect

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/planrun/planrun/hosts"
	"github.com/planrun/planrun/steps"
)

// Config is the `with:` block of a collect step.
type Config struct {
	// From is "host:path" of the archive a migration left.
	From string `yaml:"from"`
	// To is the local directory the archive is copied into (default: the
	// step's directory in the run's work directory).
	To string `yaml:"to"`
	// Expect lists entries that must be in the archive (default DefaultExpect).
	Expect []string `yaml:"expect"`
	// BWLimit caps the rate the archive is fetched at (see steps.ParseRate).
	BWLimit string `yaml:"bwlimit"`
}

// Collect is the collect kind.
type Collect struct{}

var (
	_ steps.Kind      = (*Collect)(nil)
	_ steps.Prober    = (*Collect)(nil)
	_ steps.Validator = (*Collect)(nil)
	_ steps.HostUser  = (*Collect)(nil)
)

// New returns the collect kind.
func New() *Collect { return &Collect{} }

func (*Collect) Name() string     { return "collect" }
func (*Collect) Version() int     { return 1 }
func (*Collect) Idempotent() bool { return true }
func (*Collect) NewConfig() any   { return &Config{} }

// HostRefs names the host the archive is fetched from.
func (*Collect) HostRefs(cfg any) []steps.HostRef {
	h, _ := hosts.ParseAddress(cfg.(*Config).From)
	return []steps.HostRef{{Path: "from", Host: h}}
}

// Validate checks the addresses.
func (*Collect) Validate(cfg any) []steps.FieldError {
	c := cfg.(*Config)
	var errs []steps.FieldError
	if _, p := hosts.ParseAddress(c.From); p == "" {
		errs = append(errs, steps.FieldError{Path: "from", Msg: fmt.Sprintf("%q has no path (want host:path of the archive)", c.From)})
	}
	if h, _ := hosts.ParseAddress(c.To); c.To != "" && h != hosts.LocalName {
		errs = append(errs, steps.FieldError{Path: "to", Msg: "must be a local directory"})
	}
	for i, e := range c.Expect {
		if e == "" {
			errs = append(errs, steps.FieldError{Path: fmt.Sprintf("expect[%d]", i), Msg: "empty entry name"})
		}
	}
	if _, err := steps.ParseRate(c.BWLimit); err != nil {
		errs = append(errs, steps.FieldError{Path: "bwlimit", Msg: err.Error()})
	}
	return errs
}

// target returns the local directory and the archive's local path.
func target(ctx context.Context, env *steps.Env, c *Config) (dir, file string, err error) {
	_, srcPath := hosts.ParseAddress(c.From)
	dir = env.StepDir()
	if c.To != "" {
		_, dir = hosts.ParseAddress(c.To)
	}
	dir, err = steps.LocalPath(ctx, env, dir)
	if err != nil {
		return "", "", err
	}
	return dir, filepath.Join(dir, filepath.Base(filepath.FromSlash(srcPath))), nil
}

func (c *Config) expect() []string {
	if c.Expect != nil {
		return c.Expect
	}
	return DefaultExpect
}

// Run copies the archive and verifies it.
func (*Collect) Run(ctx context.Context, env *steps.Env, cfg any) (steps.Outputs, error) {
	c := cfg.(*Config)
	srcHost, srcPath := hosts.ParseAddress(c.From)
	src, err := env.Hosts.Host(ctx, srcHost)
	if err != nil {
		return nil, err
	}
	local, err := env.Hosts.Host(ctx, hosts.LocalName)
	if err != nil {
		return nil, err
	}
	dir, file, err := target(ctx, env, c)
	if err != nil {
		return nil, err
	}
	rate, err := steps.ParseRate(c.BWLimit)
	if err != nil {
		return nil, err
	}
	opts := hosts.CopyOptions{BytesPerSecond: rate}
	if env.Progress != nil {
		opts.Progress = env.Progress
	}
	res, err := hosts.Copy(ctx, src, srcPath, local, file, opts)
	if err != nil {
		return nil, fmt.Errorf("collect %s: %w", c.From, err)
	}
	if res.Files != 1 {
		return nil, fmt.Errorf("collect %s: not a file (a directory of %d files)", c.From, res.Files)
	}
	n, err := VerifyZip(file, c.expect())
	if err != nil {
		os.Remove(file)
		return nil, fmt.Errorf("collect %s: %w", c.From, err)
	}
	if env.Log != nil {
		fmt.Fprintf(env.Log, "collected %s into %s: %d bytes, %d entries, sha256 %s\n", c.From, dir, res.Bytes, n, res.SHA256)
	}
	return steps.Outputs{"path": steps.LocalOutput(ctx, env, file), "sha256": res.SHA256}, nil
}

// Probe reports done when the local copy has the source's sha256 and
// verifies. Without `to:` the copy is where the last success put it: the
// work directory of the run it succeeded in.
func (*Collect) Probe(ctx context.Context, env *steps.Env, cfg any, last steps.Outputs) (steps.ProbeResult, error) {
	c := cfg.(*Config)
	_, file, err := target(ctx, env, c)
	if err != nil {
		return steps.ProbeResult{}, err
	}
	if p, ok := last["path"].(string); ok && p != "" && c.To == "" {
		if file, err = steps.LocalPath(ctx, env, p); err != nil {
			return steps.ProbeResult{}, err
		}
	}
	if _, err := os.Stat(file); err != nil {
		return steps.ProbeResult{Why: file + " is gone"}, nil
	}
	srcHost, srcPath := hosts.ParseAddress(c.From)
	src, err := env.Hosts.Host(ctx, srcHost)
	if err != nil {
		return steps.ProbeResult{}, err
	}
	want, err := src.SHA256(ctx, srcPath)
	if err != nil {
		// The source is gone or unreadable: not provably done.
		return steps.ProbeResult{Why: fmt.Sprintf("its source %s cannot be read: %v", c.From, err)}, nil
	}
	local, err := env.Hosts.Host(ctx, hosts.LocalName)
	if err != nil {
		return steps.ProbeResult{}, err
	}
	got, err := local.SHA256(ctx, file)
	if err != nil || got != want {
		return steps.ProbeResult{Why: fmt.Sprintf("%s differs from %s", file, c.From)}, nil
	}
	if _, err := VerifyZip(file, c.expect()); err != nil {
		return steps.ProbeResult{}, nil
	}
	return steps.ProbeResult{Done: true, Outputs: steps.Outputs{"path": steps.LocalOutput(ctx, env, file), "sha256": got}}, nil
}

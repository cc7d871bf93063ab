package testkinds

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/planrun/planrun/steps"
)

// All returns every test kind.
func All() []steps.Kind {
	return []steps.Kind{Instant{}, Append{}, FailUntil{}, Sleep{}, Stubborn{}, ProbedAppend{}}
}

// Instant succeeds at once with the outputs it is given.
type Instant struct{}

// InstantConfig is the `with:` of an instant step.
type InstantConfig struct {
	Outputs map[string]any `yaml:"outputs"`
}

var _ steps.Kind = Instant{}

func (Instant) Name() string     { return "instant" }
func (Instant) Version() int     { return 1 }
func (Instant) Idempotent() bool { return true }
func (Instant) NewConfig() any   { return &InstantConfig{} }
func (Instant) Run(ctx context.Context, env *steps.Env, cfg any) (steps.Outputs, error) {
	c := cfg.(*InstantConfig)
	out := steps.Outputs{}
	for k, v := range c.Outputs {
		out[k] = v
	}
	return out, ctx.Err()
}

// Append appends a line to a file: a side effect that must happen once.
// It is not idempotent and has no probe.
type Append struct{}

// AppendConfig is the `with:` of append (and probed_append) steps.
type AppendConfig struct {
	File string `yaml:"file"`
	Line string `yaml:"line"`
}

var _ steps.Kind = Append{}

func (Append) Name() string     { return "append" }
func (Append) Version() int     { return 1 }
func (Append) Idempotent() bool { return false }
func (Append) NewConfig() any   { return &AppendConfig{} }
func (Append) Run(ctx context.Context, env *steps.Env, cfg any) (steps.Outputs, error) {
	return appendLine(ctx, env, cfg.(*AppendConfig))
}

func appendLine(ctx context.Context, env *steps.Env, c *AppendConfig) (steps.Outputs, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	path := resolve(env, c.File)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("append to %s: %w", c.File, err)
	}
	_, err = f.WriteString(c.Line + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("append to %s: %w", c.File, err)
	}
	fmt.Fprintf(env.Log, "appended %q to %s\n", c.Line, c.File)
	return steps.Outputs{"line": c.Line}, nil
}

// ProbedAppend is Append with a probe: done when the file holds the line.
type ProbedAppend struct{}

var (
	_ steps.Kind   = ProbedAppend{}
	_ steps.Prober = ProbedAppend{}
)

func (ProbedAppend) Name() string     { return "probed_append" }
func (ProbedAppend) Version() int     { return 1 }
func (ProbedAppend) Idempotent() bool { return false }
func (ProbedAppend) NewConfig() any   { return &AppendConfig{} }
func (ProbedAppend) Run(ctx context.Context, env *steps.Env, cfg any) (steps.Outputs, error) {
	return appendLine(ctx, env, cfg.(*AppendConfig))
}

func (ProbedAppend) Probe(ctx context.Context, env *steps.Env, cfg any, last steps.Outputs) (steps.ProbeResult, error) {
	c := cfg.(*AppendConfig)
	b, err := os.ReadFile(resolve(env, c.File))
	if errors.Is(err, fs.ErrNotExist) {
		return steps.ProbeResult{}, nil
	}
	if err != nil {
		return steps.ProbeResult{}, fmt.Errorf("read %s: %w", c.File, err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if l == c.Line {
			return steps.ProbeResult{Done: true, Outputs: steps.Outputs{"line": c.Line}}, nil
		}
	}
	return steps.ProbeResult{}, nil
}

// FailUntil fails until its file exists (the cause is "fixed").
type FailUntil struct{}

// FailUntilConfig is the `with:` of a fail_until step.
type FailUntilConfig struct {
	File string `yaml:"file"`
}

var _ steps.Kind = FailUntil{}

func (FailUntil) Name() string     { return "fail_until" }
func (FailUntil) Version() int     { return 1 }
func (FailUntil) Idempotent() bool { return true }
func (FailUntil) NewConfig() any   { return &FailUntilConfig{} }
func (FailUntil) Run(ctx context.Context, env *steps.Env, cfg any) (steps.Outputs, error) {
	c := cfg.(*FailUntilConfig)
	if _, err := os.Stat(resolve(env, c.File)); err != nil {
		fmt.Fprintf(env.Log, "waiting for %s\n", c.File)
		return nil, fmt.Errorf("check %s: %w", c.File, err)
	}
	return steps.Outputs{"file": c.File}, nil
}

// Sleep creates its touch file (so a test knows it started), then sleeps,
// honouring cancellation.
type Sleep struct{}

// SleepConfig is the `with:` of a sleep step.
type SleepConfig struct {
	Duration string `yaml:"duration"`
	Touch    string `yaml:"touch"`
}

var _ steps.Kind = Sleep{}

func (Sleep) Name() string     { return "sleep" }
func (Sleep) Version() int     { return 1 }
func (Sleep) Idempotent() bool { return true }
func (Sleep) NewConfig() any   { return &SleepConfig{} }
func (Sleep) Run(ctx context.Context, env *steps.Env, cfg any) (steps.Outputs, error) {
	c := cfg.(*SleepConfig)
	d, err := time.ParseDuration(c.Duration)
	if err != nil {
		return nil, fmt.Errorf("parse duration: %w", err)
	}
	if c.Touch != "" {
		if err := os.WriteFile(resolve(env, c.Touch), nil, 0o644); err != nil {
			return nil, err
		}
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return steps.Outputs{"slept": c.Duration}, nil
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
}

// Stubborn is Sleep that ignores cancellation (a step that hangs).
type Stubborn struct{}

var _ steps.Kind = Stubborn{}

func (Stubborn) Name() string     { return "stubborn" }
func (Stubborn) Version() int     { return 1 }
func (Stubborn) Idempotent() bool { return true }
func (Stubborn) NewConfig() any   { return &SleepConfig{} }
func (Stubborn) Run(ctx context.Context, env *steps.Env, cfg any) (steps.Outputs, error) {
	return Sleep{}.Run(context.WithoutCancel(ctx), env, cfg)
}

func resolve(env *steps.Env, p string) string {
	if filepath.IsAbs(p) || env.BaseDir == "" {
		return p
	}
	return filepath.Join(env.BaseDir, p)
}

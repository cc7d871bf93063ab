package plantest

import (
	"context"
	"strings"
	"time"

	"github.com/planrun/planrun/steps"
)

// Registry returns a registry holding Echo and Xfer.
func Registry() *steps.Registry { return steps.NewRegistry(Echo{}, Xfer{}) }

// Echo returns its message as output "message" (and count as "count").
type Echo struct{}

// EchoConfig is Echo's `with:`.
type EchoConfig struct {
	Message string            `yaml:"message"`
	Count   int               `yaml:"count"`
	Ratio   float64           `yaml:"ratio"`
	Loud    bool              `yaml:"loud"`
	Wait    time.Duration     `yaml:"wait"`
	Host    string            `yaml:"host"`
	Tags    []string          `yaml:"tags"`
	Env     map[string]string `yaml:"env"`
	Opts    EchoOpts          `yaml:"opts"`
}

// EchoOpts is a nested block of EchoConfig.
type EchoOpts struct {
	Level int    `yaml:"level"`
	Mode  string `yaml:"mode"`
}

var (
	_ steps.Kind      = Echo{}
	_ steps.Validator = Echo{}
	_ steps.HostUser  = Echo{}
)

func (Echo) Name() string     { return "echo" }
func (Echo) Version() int     { return 1 }
func (Echo) Idempotent() bool { return true }
func (Echo) NewConfig() any   { return &EchoConfig{} }

func (Echo) Run(ctx context.Context, env *steps.Env, cfg any) (steps.Outputs, error) {
	c := cfg.(*EchoConfig)
	return steps.Outputs{"message": c.Message, "count": c.Count}, ctx.Err()
}

// Validate rejects a negative count and an unknown opts.mode.
func (Echo) Validate(cfg any) []steps.FieldError {
	c := cfg.(*EchoConfig)
	var out []steps.FieldError
	if c.Count < 0 {
		out = append(out, steps.FieldError{Path: "count", Msg: "must not be negative"})
	}
	if c.Opts.Mode != "" && c.Opts.Mode != "fast" && c.Opts.Mode != "slow" {
		out = append(out, steps.FieldError{Path: "opts.mode", Msg: `want "fast" or "slow"`})
	}
	return out
}

func (Echo) HostRefs(cfg any) []steps.HostRef {
	if c := cfg.(*EchoConfig); c.Host != "" {
		return []steps.HostRef{{Path: "host", Host: c.Host}}
	}
	return nil
}

// Xfer pretends to copy From to To ("host:path" addresses).
type Xfer struct{}

// XferConfig is Xfer's `with:`.
type XferConfig struct {
	From string `yaml:"from"`
	To   string `yaml:"to"`
}

var (
	_ steps.Kind     = Xfer{}
	_ steps.HostUser = Xfer{}
)

func (Xfer) Name() string     { return "xfer" }
func (Xfer) Version() int     { return 3 }
func (Xfer) Idempotent() bool { return true }
func (Xfer) NewConfig() any   { return &XferConfig{} }

func (Xfer) Run(ctx context.Context, env *steps.Env, cfg any) (steps.Outputs, error) {
	c := cfg.(*XferConfig)
	_, path, _ := strings.Cut(c.To, ":")
	return steps.Outputs{"path": path, "bytes": 42}, ctx.Err()
}

func (Xfer) HostRefs(cfg any) []steps.HostRef {
	c := cfg.(*XferConfig)
	var out []steps.HostRef
	for _, f := range []struct{ path, addr string }{{"from", c.From}, {"to", c.To}} {
		if h, _, ok := strings.Cut(f.addr, ":"); ok {
			out = append(out, steps.HostRef{Path: f.path, Host: h})
		}
	}
	return out
}

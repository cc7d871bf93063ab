package exec

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/planrun/planrun/hosts"
	"github.com/planrun/planrun/internal/redact"
	"github.com/planrun/planrun/steps"
)

// Config is the `with:` block of an exec step.
type Config struct {
	Host    string            `yaml:"host"`
	Command string            `yaml:"command"`
	Args    []string          `yaml:"args"`
	Env     map[string]string `yaml:"env"`
	Dir     string            `yaml:"dir"`
	Timeout string            `yaml:"timeout"`
	// Idempotent declares the command safe to run again.
	Idempotent bool `yaml:"idempotent"`
}

// Exec is the exec kind.
type Exec struct{}

var (
	_ steps.Kind      = (*Exec)(nil)
	_ steps.Validator = (*Exec)(nil)
	_ steps.HostUser  = (*Exec)(nil)

	_ steps.IdempotentWith = (*Exec)(nil)
)

// New returns the exec kind.
func New() *Exec { return &Exec{} }

func (*Exec) Name() string     { return "exec" }
func (*Exec) Version() int     { return 1 }
func (*Exec) Idempotent() bool { return false }
func (*Exec) NewConfig() any   { return &Config{} }

// IdempotentWith: a command declared `idempotent: true` runs again after
// an unknown outcome instead of asking the operator to check.
func (*Exec) IdempotentWith(cfg any) bool {
	c, ok := cfg.(*Config)
	return ok && c.Idempotent
}

// HostRefs names the host the command runs on.
func (*Exec) HostRefs(cfg any) []steps.HostRef {
	return []steps.HostRef{{Path: "host", Host: hostOf(cfg.(*Config))}}
}

// Validate checks the fields the schema cannot.
func (*Exec) Validate(cfg any) []steps.FieldError {
	c := cfg.(*Config)
	var errs []steps.FieldError
	if strings.TrimSpace(c.Command) == "" {
		errs = append(errs, steps.FieldError{Path: "command", Msg: "must not be empty"})
	}
	if c.Timeout != "" && !isExpr(c.Timeout) {
		if d, err := time.ParseDuration(c.Timeout); err != nil {
			errs = append(errs, steps.FieldError{Path: "timeout", Msg: fmt.Sprintf("invalid duration %q (use e.g. 90s, 5m)", c.Timeout)})
		} else if d <= 0 {
			errs = append(errs, steps.FieldError{Path: "timeout", Msg: fmt.Sprintf("%q: want a time limit greater than 0 (leave it out for none)", c.Timeout)})
		}
	}
	for k := range c.Env {
		if k == "" || strings.ContainsAny(k, "= \t\n") {
			errs = append(errs, steps.FieldError{Path: "env." + k, Msg: "invalid environment variable name"})
		}
	}
	return errs
}

func isExpr(s string) bool { return strings.Contains(s, "${{") }

func hostOf(c *Config) string {
	if c.Host == "" {
		return hosts.LocalName
	}
	return c.Host
}

// Run runs the command and returns its outputs.
func (*Exec) Run(ctx context.Context, env *steps.Env, cfg any) (steps.Outputs, error) {
	c := cfg.(*Config)
	if c.Timeout != "" {
		d, err := time.ParseDuration(c.Timeout)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("timeout: invalid duration %q", c.Timeout)
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, d, fmt.Errorf("command timed out after %s", d))
		defer cancel()
	}
	h, err := env.Hosts.Host(ctx, hostOf(c))
	if err != nil {
		return nil, err
	}
	cmd := hosts.Command{Path: c.Command, Args: c.Args, Env: c.Env, Dir: c.Dir, Keep: outputKeep}
	if c.Args == nil {
		cmd.Path, cmd.Args = "/bin/sh", []string{"-c", c.Command}
	}
	if env.Log != nil {
		cmd.Stdout, cmd.Stderr = env.Log, env.Log
		if env.Redactor != nil {
			// One redacting stream each: a secret written in pieces to
			// one of them, with the other writing in between, is held
			// back whole in its own stream, not flushed by the other's
			// lines into the log in two parts.
			out, errs := env.Redactor.Writer(env.Log), env.Redactor.Writer(env.Log)
			cmd.Stdout, cmd.Stderr = out, errs
			defer func() { out.Flush(); errs.Flush() }()
		}
	}
	res, err := h.Exec(ctx, cmd)
	if err != nil {
		return nil, fmt.Errorf("run command on %s: %w", h.Name(), err)
	}
	if res.ExitCode != 0 {
		return nil, fmt.Errorf("exit status %d: %s", res.ExitCode, failureText(env.Redactor, res))
	}
	if res.StdoutCut > 0 {
		// Outputs live in the state (and in every event that carries
		// them): a command that prints megabytes keeps its end there,
		// and all of it in its log. The cut may fall inside a secret:
		// its end is masked here, as the whole of one is when recorded.
		kept := env.Redactor.Edges(string(res.Stdout), true, false)
		return steps.Outputs{"stdout": fmt.Sprintf("[planrun: the first %d bytes of stdout are left out here; "+
			"planrun logs %s has it all]\n%s", res.StdoutCut, env.StepID, strings.TrimSpace(kept))}, nil
	}
	return outputs(res.Stdout), nil
}

// outputKeep is how much of a command's stdout its outputs hold: the last
// 1 MiB (a JSON object of outputs must fit in it).
const outputKeep = 1 << 20

// outputs is stdout trimmed, plus the fields of stdout when it is a JSON
// object (nested values as compact JSON text; "stdout" itself is kept).
func outputs(stdout []byte) steps.Outputs {
	s := strings.TrimSpace(string(stdout))
	out := steps.Outputs{"stdout": s}
	if !strings.HasPrefix(s, "{") {
		return out
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil || dec.Decode(new(any)) != io.EOF {
		return out
	}
	for k, v := range obj {
		if k == "stdout" {
			continue
		}
		switch v := v.(type) {
		case nil:
			out[k] = ""
		case string, bool:
			out[k] = v
		case json.Number:
			if i, err := v.Int64(); err == nil {
				out[k] = i
			} else if f, err := v.Float64(); err == nil {
				out[k] = f
			} else {
				out[k] = v.String()
			}
		default:
			out[k] = compactJSON(v)
		}
	}
	return out
}

// compactJSON is v as compact JSON text, with <, > and & as they are
// (json.Marshal writes them \u003c, \u003e, \u0026: a secret holding one
// would no longer be found by the redactor).
func compactJSON(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(v) // decoded JSON: it encodes
	return strings.TrimSuffix(b.String(), "\n")
}

// failureText is what a failed command said: the end of its stderr, or
// when that is empty the end of its stdout (nologin and sshd's
// "This service allows sftp connections only." say why there). Each is
// redacted before it is cut, and with what a cut while capturing it left
// of a secret (the result holds the last megabyte).
func failureText(red *redact.Redactor, res hosts.Result) string {
	if t := tail(red.Cut(string(res.Stderr), res.StderrCut > 0, false), 5, 2048); t != "" {
		return t
	}
	if t := tail(red.Cut(string(res.Stdout), res.StdoutCut > 0, false), 3, 1024); t != "" {
		return "(no stderr; stdout ends: " + t + ")"
	}
	return "(no output)"
}

// tail returns the last n lines of s (at most max bytes), trimmed; ""
// when s holds nothing but white space.
func tail(s string, n, max int) string {
	s = strings.TrimRight(s, "\n\r\t ")
	if s == "" {
		return ""
	}
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	s = strings.Join(lines, "\n")
	if len(s) > max {
		s = "…" + s[len(s)-max:]
	}
	return s
}

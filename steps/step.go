package steps

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sort"
	"strings"

	"github.com/planrun/planrun/hosts"
	"github.com/planrun/planrun/internal/redact"
)

// Outputs are the named results of a step. Values must be JSON-encodable
// (strings, numbers, booleans); they are recorded in the checkpoint and
// referenced by later steps as ${{ steps.ID.outputs.NAME }}.
type Outputs map[string]any

// Kind is one kind of step (transfer, migrate, exec, ...).
type Kind interface {
	// Name is the `kind:` value in a plan.
	Name() string
	// Version is part of every step fingerprint; bump it when the kind's
	// behaviour changes in a way that should make resume re-run steps.
	Version() int
	// Idempotent reports whether re-running an already-finished step is
	// harmless; resume re-runs unknown-outcome idempotent steps that have
	// no probe.
	Idempotent() bool
	// NewConfig returns a pointer to a zero typed config. The plan loader
	// decodes `with:` into it with mapstructure (ErrorUnused, tag "yaml").
	NewConfig() any
	// Run does the work. cfg is the value NewConfig returned, decoded from
	// `with:` with every expression resolved.
	Run(ctx context.Context, env *Env, cfg any) (Outputs, error)
}

// Prober is implemented by kinds that can tell cheaply whether their work
// is already done (destination digest matches, model already imported).
// A probe changes no file and no model: `planrun plan --refresh` runs it
// to preview.
type Prober interface {
	// Probe reports Done=true when the step's effect is already in place;
	// Outputs then replace the step's outputs. last holds the outputs of the
	// last recorded success, if any (may be nil).
	Probe(ctx context.Context, env *Env, cfg any, last Outputs) (ProbeResult, error)
}

// ProbeResult is what a probe found.
type ProbeResult struct {
	Done    bool
	Outputs Outputs
	// Why, when not Done, may say what the probe found instead, for the
	// user ("in DIR on HOST, "x.pb" has changed").
	Why string
}

// IdempotentWith is implemented by kinds that are idempotent for some
// configurations only: migrate and import with engine native re-run
// harmlessly, with engine flow they post to a server again.
type IdempotentWith interface {
	IdempotentWith(cfg any) bool
}

// IsIdempotent reports whether re-running a step of kind k with cfg is
// harmless: the kind is idempotent, or is for this configuration. The
// runner writes the start of such a step without waiting for its fsync,
// since after a crash of the machine running it again is harmless.
func IsIdempotent(k Kind, cfg any) bool {
	if k.Idempotent() {
		return true
	}
	iw, ok := k.(IdempotentWith)
	return ok && cfg != nil && iw.IdempotentWith(cfg)
}

// Validator is implemented by kinds with static checks beyond what the
// JSON Schema and the typed decode catch. Each FieldError names the field
// path inside `with:` (e.g. "config.role.guest[0]") so the loader can point
// at file:line:col.
type Validator interface {
	Validate(cfg any) []FieldError
}

// FieldError is one problem found in a step's `with:` block.
type FieldError struct {
	Path string // dotted path inside with:, "" for the block itself
	Msg  string
}

func (e FieldError) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

// Progress receives byte-level progress from long steps (transfers). The
// runner renders it in the live view. Implementations are safe for
// concurrent use.
type Progress interface {
	// SetTotal announces (or revises) the number of bytes the step expects to move.
	SetTotal(n int64)
	// Add records n more bytes moved.
	Add(n int64)
}

// NopProgress discards progress.
type NopProgress struct{}

func (NopProgress) SetTotal(int64) {}
func (NopProgress) Add(int64)      {}

// Env is what the runner hands a step for one attempt.
type Env struct {
	StepID  string
	Attempt int // 1-based
	// BaseDir is the directory relative local paths resolve against (the
	// directory of the plan file).
	BaseDir string
	// WorkDir is a per-run scratch directory inside the state directory.
	WorkDir string
	// Hosts resolves host names from the plan's inventory; "local" always exists.
	Hosts hosts.Resolver
	// Log receives this attempt's output (stdout/stderr of commands, notes);
	// it is written to runs/<id>/logs/<step>.<attempt>.log with secrets redacted.
	Log io.Writer
	// Logger is for structured diagnostics; may be discarded.
	Logger *slog.Logger
	// Progress receives byte progress; never nil.
	Progress Progress
	// Redactor knows the run's secrets (nil: none). Errors and outputs are
	// redacted when they are recorded, but a kind that cuts what a command
	// printed before that must mask what the cut leaves of a secret
	// (Redactor.Cut, Redactor.Edges).
	Redactor *redact.Redactor
}

// StepDir is the step's own directory in the run's work directory,
// WorkDir/<step id>, joined with elems. A step id is one path element:
// "/", "\\" and "%" in it (a batch item key from a CSV may hold any) are
// written %2F, %5C and %25, so that it can neither climb out of WorkDir
// nor share another step's directory.
func (e *Env) StepDir(elems ...string) string {
	id := e.StepID
	if strings.ContainsAny(id, `/\%`) {
		id = strings.NewReplacer("%", "%25", "/", "%2F", `\`, "%5C").Replace(id)
	}
	return filepath.Join(append([]string{e.WorkDir, id}, elems...)...)
}

// Registry maps kind names to kinds. Build it once, explicitly, in
// steps/all; it panics on a duplicate name.
type Registry struct {
	kinds map[string]Kind
}

// NewRegistry returns a registry holding kinds. It panics if two kinds share a name.
func NewRegistry(kinds ...Kind) *Registry {
	r := &Registry{kinds: make(map[string]Kind, len(kinds))}
	for _, k := range kinds {
		if _, dup := r.kinds[k.Name()]; dup {
			panic(fmt.Sprintf("steps: kind %q registered twice", k.Name()))
		}
		r.kinds[k.Name()] = k
	}
	return r
}

// Lookup returns the kind called name.
func (r *Registry) Lookup(name string) (Kind, bool) {
	k, ok := r.kinds[name]
	return k, ok
}

// Names returns every registered kind name, sorted.
func (r *Registry) Names() []string {
	names := make([]string, 0, len(r.kinds))
	for n := range r.kinds {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// HostUser is implemented by kinds whose config names hosts (`host:`,
// "host:path" addresses). The loader checks every name exists in the
// inventory (an unknown host is a plan error at that field's position) and
// the runner names the first host in messages about the step.
type HostUser interface {
	HostRefs(cfg any) []HostRef
}

// HostRef is one host a config names, and the field that names it.
type HostRef struct {
	Path string // dotted path inside with:, e.g. "from"
	Host string
}

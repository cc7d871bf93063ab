package runner

import (
	"log/slog"
	"time"

	"github.com/planrun/planrun/hosts"
	"github.com/planrun/planrun/internal/redact"
	"github.com/planrun/planrun/plan"
	"github.com/planrun/planrun/runner/checkpoint"
	"github.com/planrun/planrun/steps"
)

// DefaultParallel is the default size of the global concurrency pool.
const DefaultParallel = 8

// DefaultMaxBackoff caps retry backoff when a step's retry policy sets none.
const DefaultMaxBackoff = time.Minute

// DefaultGrace is how long cancelled steps get to return before they are
// recorded interrupted anyway.
const DefaultGrace = 4 * time.Second

// ResolveFunc resolves a step's `with:` into its kind's typed config right
// before it runs (plan.Resolve). params are the resolved parameters that
// the fingerprint covers.
type ResolveFunc func(s *plan.Step, reg *steps.Registry, outputs func(id string) (plan.Upstream, bool), getenv func(string) (string, bool)) (cfg any, params map[string]any, err error)

// FingerprintFunc fingerprints a step from its kind version and resolved
// parameters (plan.Fingerprint).
type FingerprintFunc func(s *plan.Step, kindVersion int, params map[string]any) string

// Options configure one run.
type Options struct {
	Registry *steps.Registry
	Hosts    hosts.Resolver
	// Run is the checkpoint the run appends to.
	Run checkpoint.Run
	// Prior is the state of each step before this run (folded from the
	// checkpoint); nil for a fresh start. PriorInRun says Prior comes from
	// Run's own events (resume): successes kept are not recorded again.
	// Otherwise (apply over the latest earlier run) they are
	// recorded as step_skipped "already done" with their outputs.
	Prior      map[string]*checkpoint.StepState
	PriorInRun bool
	// Earlier marks, in a resume, the steps whose Prior comes from a run
	// before Run (Run has no record of them: an `apply --only`, or an
	// apply killed before it recorded what was already done). They are
	// treated as apply treats its prior states.
	Earlier map[string]bool
	// Parallel is the global concurrency limit (DefaultParallel if 0).
	Parallel int
	// KeepGoing runs independent branches after a failure.
	KeepGoing bool
	// Only restricts the run to these steps and what they need.
	Only []string
	// Force runs these steps even if a prior success matches. The caller
	// includes whatever downstream steps must run again.
	Force []string
	// Refresh checks each success that would be kept (same fingerprint)
	// before keeping it: the kind's probe says whether it still holds,
	// and a step whose probe finds it gone runs again; an idempotent kind
	// without a probe runs again; other kinds are kept unchecked.
	Refresh bool
	// Observer sees every recorded event and byte progress.
	Observer Observer
	// Getenv reads ${{ env.N }} (os.LookupEnv if nil).
	Getenv func(string) (string, bool)
	// WorkDir is the per-run scratch directory handed to steps.
	WorkDir string
	// Redactor removes secrets from logs and events (may be nil).
	Redactor *redact.Redactor
	// Resolve and Fingerprint default to plan.Resolve and plan.Fingerprint.
	Resolve     ResolveFunc
	Fingerprint FingerprintFunc
	Logger      *slog.Logger
	// Grace is how long cancelled steps get (DefaultGrace if 0).
	Grace time.Duration
	// Command is recorded in the run_started event (e.g. "apply").
	Command string
	// ResumeCommand is how advice names the resume of this state
	// ("planrun resume --state DIR"); default "planrun resume".
	ResumeCommand string
}

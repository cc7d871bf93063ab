package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/semaphore"

	"github.com/planrun/planrun/internal/redact"
	"github.com/planrun/planrun/plan"
	"github.com/planrun/planrun/runner/checkpoint"
	"github.com/planrun/planrun/steps"
)

// Node states during a run.
const (
	statePending     = "pending"
	stateRunning     = "running"
	stateSucceeded   = "succeeded"
	stateDone        = "done" // success kept from before
	stateFailed      = "failed"
	stateSkipped     = "skipped"
	stateInterrupted = "interrupted"
)

type node struct {
	s          *plan.Step
	kind       steps.Kind
	dependents []*node
	waiting    int // needs not yet succeeded
	selected   bool
	force      bool
	limits     []string // sorted, unique
	prior      *checkpoint.StepState
	rerun      string // why a step already done runs again (Refresh)

	// guarded by runner.mu
	state   string
	outputs plan.Upstream
	err     string // the failure message
	checked bool   // kept as done after Refresh checked it
	unknown bool   // failed because its last outcome is unknown (check it)
}

type runner struct {
	opts   Options
	p      *plan.Plan
	nodes  map[string]*node
	order  []*node
	j      *journal
	ctx    context.Context // cancelled by a signal: steps are interrupted
	g      *errgroup.Group
	gctx   context.Context // cancelled by a signal or a fatal error
	global *semaphore.Weighted
	pools  map[string]*semaphore.Weighted
	getenv func(string) (string, bool)
	logger *slog.Logger

	mu       sync.Mutex
	stopping string // the non-batch step whose failure stops scheduling
}

// Run executes p and returns its summary. The error is for failures of
// the run itself (bad options, an unknown kind, a checkpoint that cannot
// be written); step failures and interruption are in the summary.
func Run(ctx context.Context, p *plan.Plan, opts Options) (*Summary, error) {
	r, err := newRunner(ctx, p, opts)
	if err != nil {
		return nil, err
	}
	return r.run()
}

func newRunner(ctx context.Context, p *plan.Plan, o Options) (*runner, error) {
	if o.Run == nil || o.Registry == nil {
		return nil, errors.New("run plan: options need a Run and a Registry")
	}
	if o.Parallel <= 0 {
		o.Parallel = DefaultParallel
	}
	if o.Observer == nil {
		o.Observer = Nop{}
	}
	if o.Grace <= 0 {
		o.Grace = DefaultGrace
	}
	if o.Resolve == nil {
		o.Resolve = defaultResolve
	}
	if o.Fingerprint == nil {
		o.Fingerprint = defaultFingerprint
	}
	r := &runner{opts: o, p: p, ctx: ctx, nodes: make(map[string]*node, len(p.Steps)), getenv: o.Getenv, logger: o.Logger}
	if r.getenv == nil {
		r.getenv = os.LookupEnv
	}
	if r.logger == nil {
		r.logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	r.global = semaphore.NewWeighted(int64(o.Parallel))
	r.pools = make(map[string]*semaphore.Weighted, len(p.Limits))
	for name, n := range p.Limits {
		if n <= 0 {
			return nil, fmt.Errorf("run plan: limit %s must be at least 1, not %d", name, n)
		}
		r.pools[name] = semaphore.NewWeighted(int64(n))
	}
	for _, s := range p.Steps {
		k, ok := o.Registry.Lookup(s.Kind)
		if !ok {
			return nil, fmt.Errorf("run plan: step %s: unknown kind %q", s.ID, s.Kind)
		}
		if _, dup := r.nodes[s.ID]; dup {
			return nil, fmt.Errorf("run plan: duplicate step id %s", s.ID)
		}
		for _, l := range s.Limits {
			if _, ok := r.pools[l]; !ok {
				return nil, fmt.Errorf("run plan: step %s: unknown limit %q", s.ID, l)
			}
		}
		n := &node{s: s, kind: k, state: statePending, prior: o.Prior[s.ID]}
		n.limits = slices.Compact(slices.Sorted(slices.Values(s.Limits)))
		r.nodes[s.ID] = n
		r.order = append(r.order, n)
	}
	for _, n := range r.order {
		for _, id := range n.s.Needs {
			d, ok := r.nodes[id]
			if !ok {
				return nil, fmt.Errorf("run plan: step %s needs unknown step %s", n.s.ID, id)
			}
			d.dependents = append(d.dependents, n)
		}
	}
	if err := r.selectSteps(o.Only); err != nil {
		return nil, err
	}
	for _, id := range o.Force {
		n, ok := r.nodes[id]
		if !ok {
			return nil, fmt.Errorf("run plan: unknown step %s", id)
		}
		n.force = true
	}
	return r, nil
}

// selectSteps marks the steps to run: all, or only and what they need.
func (r *runner) selectSteps(only []string) error {
	if len(only) == 0 {
		for _, n := range r.order {
			n.selected = true
		}
		return nil
	}
	var visit func(n *node)
	visit = func(n *node) {
		if n.selected {
			return
		}
		n.selected = true
		for _, id := range n.s.Needs {
			visit(r.nodes[id])
		}
	}
	for _, id := range only {
		n, ok := r.nodes[id]
		if !ok {
			return fmt.Errorf("run plan: --only: unknown step %s", id)
		}
		visit(n)
	}
	return nil
}

func (r *runner) run() (*Summary, error) {
	start := time.Now()
	r.j = newJournal(r.opts.Run, r.opts.Observer, r.opts.Redactor)
	defer r.j.close()
	if err := r.j.record(checkpoint.Event{Time: start.UTC(), Type: checkpoint.RunStarted, Reason: r.opts.Command}); err != nil {
		return nil, fmt.Errorf("run plan: %w", err)
	}
	r.g, r.gctx = errgroup.WithContext(r.ctx)
	var ready []*node
	r.mu.Lock()
	for _, n := range r.order {
		if !n.selected {
			continue
		}
		n.waiting = len(n.s.Needs)
		if n.waiting == 0 {
			ready = append(ready, n)
		}
	}
	r.launch(ready)
	r.mu.Unlock()
	err := r.g.Wait()
	sum := r.summary()
	sum.Duration = time.Since(start)
	if err != nil {
		return sum, fmt.Errorf("run plan: %w", err)
	}
	fin := checkpoint.Event{Time: time.Now().UTC(), Type: checkpoint.RunFinished, Status: sum.Status, Reason: sum.String()}
	setDuration(&fin, sum.Duration)
	if err := r.j.record(fin); err != nil {
		return sum, fmt.Errorf("run plan: %w", err)
	}
	return sum, nil
}

// launch starts ready steps. Called with r.mu held.
func (r *runner) launch(ready []*node) {
	for _, n := range ready {
		n.state = stateRunning
		r.g.Go(func() error { return r.execute(n) })
	}
}

// finish settles n and starts or skips what depends on it. It records the
// skips with reason (naming the failed step at the root); n's own events
// are already recorded.
func (r *runner) finish(n *node, state string, out plan.Upstream, reason string) error {
	var ready, skipped []*node
	r.mu.Lock()
	n.state, n.outputs = state, out
	switch state {
	case stateSucceeded, stateDone:
		for _, d := range n.dependents {
			if !d.selected {
				continue
			}
			d.waiting--
			if d.waiting == 0 && d.state == statePending {
				ready = append(ready, d)
			}
		}
	case stateFailed, stateSkipped:
		skipped = r.skipDownstream(n)
	}
	r.launch(ready)
	r.mu.Unlock()
	if len(skipped) == 0 {
		return nil
	}
	now := time.Now().UTC()
	evs := make([]checkpoint.Event, 0, len(skipped))
	for _, d := range skipped {
		e := r.skipEvent(d, reason)
		e.Time = now
		evs = append(evs, e)
	}
	return r.j.record(evs...)
}

// skipDownstream marks every pending step downstream of n skipped and
// returns them. Called with r.mu held.
func (r *runner) skipDownstream(n *node) []*node {
	var out []*node
	var walk func(n *node)
	walk = func(n *node) {
		for _, d := range n.dependents {
			if d.selected && d.state == statePending {
				d.state = stateSkipped
				out = append(out, d)
				walk(d)
			}
		}
	}
	walk(n)
	return out
}

// outputsOf returns the outputs of a succeeded step, for expressions.
func (r *runner) outputsOf(id string) (plan.Upstream, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n, ok := r.nodes[id]
	if !ok || (n.state != stateSucceeded && n.state != stateDone) {
		return plan.Upstream{}, false
	}
	return n.outputs, true
}

// fresh is what expressions get of outputs a step made in this run: their
// values, and for those that hold a secret (recorded masked) a digest.
func (r *runner) fresh(out steps.Outputs) plan.Upstream {
	up := plan.Upstream{Outputs: out}
	for _, name := range r.opts.Redactor.Held(out) {
		if up.Redacted == nil {
			up.Redacted = map[string]string{}
		}
		up.Redacted[name] = r.opts.Redactor.Digest(out[name])
	}
	return up
}

// Recorded is what expressions get of the outputs of a success kept from
// the state: those that held a secret are masked there. A state written
// before outputs named their secrets (no Redacted) may hold masked values
// all the same: a string output with the mask in it counts as masked, so
// that no step runs with "***" for a secret.
func Recorded(pr *checkpoint.StepState) plan.Upstream {
	up := plan.Upstream{Outputs: pr.Outputs, Redacted: pr.Redacted, Recorded: true}
	if pr.Redacted != nil {
		return up
	}
	for name, v := range pr.Outputs {
		if s, ok := v.(string); ok && strings.Contains(s, redact.Mask) {
			if up.Redacted == nil {
				up.Redacted = map[string]string{}
			}
			up.Redacted[name] = maskedEarlier
		}
	}
	return up
}

// maskedEarlier stands for the digest of an output recorded masked by a
// planrun that kept no digest: it matches no fingerprint, so a step that
// uses it is not kept as done on its strength, and cannot run.
const maskedEarlier = "masked (recorded by an earlier planrun, without its digest)"

// event returns an event about n with its identifying fields set.
func (r *runner) event(n *node, typ string, attempt int) checkpoint.Event {
	return checkpoint.Event{
		Time: time.Now().UTC(), Type: typ, Step: n.s.ID, Kind: n.s.Kind, Host: n.s.Host,
		Batch: n.s.Batch, Item: n.s.Item, Attempt: attempt,
	}
}

// stepError formats a step failure: "step ID (host H): cause".
func stepError(s *plan.Step, err error) string {
	var te *TimeoutError
	if errors.As(err, &te) {
		err = fmt.Errorf("timed out after %s", te.After)
	}
	if s.Host != "" {
		return fmt.Sprintf("step %s (host %s): %v", s.ID, s.Host, err)
	}
	return fmt.Sprintf("step %s: %v", s.ID, err)
}

// TimeoutError is the cause of a step attempt's context when its timeout
// expires.
type TimeoutError struct {
	Step  string
	After time.Duration
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("step %s timed out after %s", e.Step, e.After)
}

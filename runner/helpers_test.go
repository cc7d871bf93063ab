package runner_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/planrun/planrun/internal/testkinds"
	"github.com/planrun/planrun/plan"
	"github.com/planrun/planrun/runner"
	"github.com/planrun/planrun/runner/checkpoint"
	"github.com/planrun/planrun/steps"
)

// simpleResolve decodes `with:` through JSON into the kind's config; the
// parameters are `with:` itself. Tests need no expressions.
func simpleResolve(s *plan.Step, reg *steps.Registry, _ func(string) (plan.Upstream, bool), _ func(string) (string, bool)) (any, map[string]any, error) {
	k, ok := reg.Lookup(s.Kind)
	if !ok {
		return nil, nil, fmt.Errorf("unknown kind %s", s.Kind)
	}
	cfg := k.NewConfig()
	b, _ := json.Marshal(s.With)
	if err := json.Unmarshal(b, cfg); err != nil {
		return nil, nil, err
	}
	return cfg, s.With, nil
}

func simpleFingerprint(s *plan.Step, v int, params map[string]any) string {
	b, _ := json.Marshal(params)
	h := sha256.Sum256(fmt.Appendf(nil, "%s\x00%d\x00%s", s.Kind, v, b))
	return hex.EncodeToString(h[:])
}

// fake is a kind whose behaviour is a function.
type fake struct {
	name  string
	idem  bool
	run   func(ctx context.Context, env *steps.Env) (steps.Outputs, error)
	probe func(ctx context.Context, env *steps.Env, last steps.Outputs) (steps.ProbeResult, error)
}

func (f *fake) Name() string     { return f.name }
func (f *fake) Version() int     { return 1 }
func (f *fake) Idempotent() bool { return f.idem }
func (f *fake) NewConfig() any   { return &struct{}{} }
func (f *fake) Run(ctx context.Context, env *steps.Env, _ any) (steps.Outputs, error) {
	return f.run(ctx, env)
}

type probedFake struct{ *fake }

func (f probedFake) Probe(ctx context.Context, env *steps.Env, _ any, last steps.Outputs) (steps.ProbeResult, error) {
	return f.probe(ctx, env, last)
}

// gauge counts concurrent runs and remembers the maximum.
type gauge struct {
	cur, peak atomic.Int64
}

func (g *gauge) enter() {
	n := g.cur.Add(1)
	for {
		p := g.peak.Load()
		if n <= p || g.peak.CompareAndSwap(p, n) {
			return
		}
	}
}
func (g *gauge) leave() { g.cur.Add(-1) }

// gaugeKind counts concurrency: each run waits (up to 3s) until want runs
// are inside at once, then holds a little longer.
func gaugeKind(name string, g *gauge, want int64) *fake {
	return &fake{name: name, idem: true, run: func(ctx context.Context, env *steps.Env) (steps.Outputs, error) {
		g.enter()
		defer g.leave()
		for deadline := time.Now().Add(3 * time.Second); g.cur.Load() < want && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(5 * time.Millisecond)
		return steps.Outputs{"id": env.StepID}, ctx.Err()
	}}
}

// recorder is an Observer keeping every event.
type recorder struct {
	mu  sync.Mutex
	evs []checkpoint.Event
}

func (r *recorder) Event(e checkpoint.Event) {
	r.mu.Lock()
	r.evs = append(r.evs, e)
	r.mu.Unlock()
}
func (r *recorder) Progress(string, int64, int64) {}

func (r *recorder) events() []checkpoint.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]checkpoint.Event(nil), r.evs...)
}

// step builds a plan step.
func step(id, kind string, needs ...string) *plan.Step {
	return &plan.Step{ID: id, Kind: kind, Needs: needs, Retry: plan.Retry{Attempts: 1}, With: map[string]any{}}
}

type harness struct {
	t     *testing.T
	store *checkpoint.MemStore
	reg   *steps.Registry
	rec   *recorder
}

func newHarness(t *testing.T, kinds ...steps.Kind) *harness {
	all := append(testkinds.All(), kinds...)
	return &harness{t: t, store: checkpoint.NewMem(), reg: steps.NewRegistry(all...), rec: &recorder{}}
}

func (h *harness) opts(run checkpoint.Run) runner.Options {
	return runner.Options{
		Registry: h.reg, Run: run, Observer: h.rec,
		Resolve: simpleResolve, Fingerprint: simpleFingerprint, Grace: 200 * time.Millisecond,
	}
}

// apply runs p as a fresh run with options changed by mod.
func (h *harness) apply(ctx context.Context, id string, p *plan.Plan, mod func(*runner.Options)) *runner.Summary {
	h.t.Helper()
	run, err := h.store.CreateRun(ctx, id, p)
	if err != nil {
		h.t.Fatal(err)
	}
	o := h.opts(run)
	if mod != nil {
		mod(&o)
	}
	sum, err := runner.Run(ctx, p, o)
	if err != nil {
		h.t.Fatal(err)
	}
	return sum
}

// resume continues run id from its recorded state.
func (h *harness) resume(ctx context.Context, id string, mod func(*runner.Options)) *runner.Summary {
	h.t.Helper()
	d, err := h.store.LoadRun(ctx, id)
	if err != nil {
		h.t.Fatal(err)
	}
	run, err := h.store.OpenRun(ctx, id)
	if err != nil {
		h.t.Fatal(err)
	}
	o := h.opts(run)
	o.Prior, o.PriorInRun = checkpoint.Fold(d.Events), true
	if mod != nil {
		mod(&o)
	}
	sum, err := runner.Run(ctx, d.Plan, o)
	if err != nil {
		h.t.Fatal(err)
	}
	return sum
}

// states folds run id.
func (h *harness) states(id string) map[string]string {
	h.t.Helper()
	d, err := h.store.LoadRun(context.Background(), id)
	if err != nil {
		h.t.Fatal(err)
	}
	out := map[string]string{}
	for id, s := range checkpoint.Fold(d.Events) {
		out[id] = s.Status
	}
	return out
}

func (h *harness) last(id, step, typ string) checkpoint.Event {
	h.t.Helper()
	d, _ := h.store.LoadRun(context.Background(), id)
	for i := len(d.Events) - 1; i >= 0; i-- {
		if e := d.Events[i]; e.Step == step && e.Type == typ {
			return e
		}
	}
	h.t.Fatalf("no %s event for %s", typ, step)
	return checkpoint.Event{}
}

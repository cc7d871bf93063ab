package runner_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/planrun/planrun/plan"
	"github.com/planrun/planrun/runner"
	"github.com/planrun/planrun/runner/checkpoint"
	"github.com/planrun/planrun/steps"
)

// appendLog keeps the events in the order they were written, and how
// many of them are durable (appended, or written then synced).
type appendLog struct {
	checkpoint.Run
	mu      sync.Mutex
	evs     []checkpoint.Event
	durable int // evs[:durable] are durable
	syncs   int // Append and Sync calls: the fsyncs
}

func (a *appendLog) Append(ctx context.Context, evs []checkpoint.Event) error {
	if err := a.Run.Append(ctx, evs); err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.evs = append(a.evs, evs...)
	a.durable = len(a.evs)
	a.syncs++
	return nil
}

func (a *appendLog) Write(ctx context.Context, evs []checkpoint.Event) error {
	if err := a.Run.Write(ctx, evs); err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.evs = append(a.evs, evs...)
	return nil
}

func (a *appendLog) Sync(ctx context.Context) error {
	a.mu.Lock()
	n := len(a.evs) // what is written when the fsync starts
	a.mu.Unlock()
	if err := a.Run.Sync(ctx); err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.durable = max(a.durable, n)
	a.syncs++
	return nil
}

// durableHas reports whether an event of typ for step is durable.
func (a *appendLog) durableHas(typ, step string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, e := range a.evs[:a.durable] {
		if e.Type == typ && e.Step == step {
			return true
		}
	}
	return false
}

// TestSuccessDurableBeforeDependents checks the order that successes riding
// with a later write must keep: every step's started event is appended
// after the succeeded events of all its needs, and every success ends up
// recorded before run_finished.
func TestSuccessDurableBeforeDependents(t *testing.T) {
	for _, par := range []int{1, 3, 8} {
		t.Run(fmt.Sprintf("parallel %d", par), func(t *testing.T) {
			h := newHarness(t)
			p := &plan.Plan{Steps: []*plan.Step{step("a", "instant"), step("b", "instant", "a"), step("c", "instant", "a"),
				step("d", "instant", "b", "c"), step("e", "instant"), step("f", "instant", "e", "d")}}
			run, err := h.store.CreateRun(context.Background(), "r", p)
			if err != nil {
				t.Fatal(err)
			}
			log := &appendLog{Run: run}
			o := h.opts(log)
			o.Parallel = par
			sum, err := runner.Run(context.Background(), p, o)
			if err != nil || sum.Ok != len(p.Steps) {
				t.Fatalf("run: %v %+v", err, sum)
			}
			done := map[string]bool{}
			for _, e := range log.evs {
				switch e.Type {
				case checkpoint.StepStarted:
					for _, s := range p.Steps {
						if s.ID != e.Step {
							continue
						}
						for _, need := range s.Needs {
							if !done[need] {
								t.Errorf("%s started before the success of its need %s was appended", e.Step, need)
							}
						}
					}
				case checkpoint.StepSucceeded:
					done[e.Step] = true
				}
			}
			if len(done) != len(p.Steps) {
				t.Errorf("%d successes recorded, want %d", len(done), len(p.Steps))
			}
			if last := log.evs[len(log.evs)-1]; last.Type != checkpoint.RunFinished {
				t.Errorf("last event is %s, want run_finished", last.Type)
			}
		})
	}
}

// TestDurableBeforeNotIdempotentRuns: a step that is not harmless to
// re-run runs only once its started event and its needs' successes are
// durable; harmless steps need not wait for an fsync; at the end of the
// run everything is durable.
func TestDurableBeforeNotIdempotentRuns(t *testing.T) {
	var log *appendLog
	var mu sync.Mutex
	var problems []string
	check := &fake{name: "checked", run: func(ctx context.Context, env *steps.Env) (steps.Outputs, error) {
		var missing []string
		if !log.durableHas(checkpoint.StepStarted, env.StepID) {
			missing = append(missing, "its own start")
		}
		for _, need := range needsOf[env.StepID] {
			if !log.durableHas(checkpoint.StepSucceeded, need) {
				missing = append(missing, "the success of "+need)
			}
		}
		if len(missing) > 0 {
			mu.Lock()
			problems = append(problems, fmt.Sprintf("%s ran before %v were durable", env.StepID, missing))
			mu.Unlock()
		}
		return steps.Outputs{}, nil
	}}
	for _, par := range []int{1, 4} {
		t.Run(fmt.Sprintf("parallel %d", par), func(t *testing.T) {
			h := newHarness(t, check)
			var ss []*plan.Step
			for i := range 20 {
				kind := "instant"
				if i%3 == 2 {
					kind = "checked"
				}
				s := step(fmt.Sprintf("s%02d", i), kind)
				if i > 0 {
					s.Needs = []string{fmt.Sprintf("s%02d", i-1)}
				}
				if i > 1 && i%4 == 0 {
					s.Needs = append(s.Needs, fmt.Sprintf("s%02d", i-2))
				}
				ss = append(ss, s)
			}
			needsOf = map[string][]string{}
			for _, s := range ss {
				needsOf[s.ID] = s.Needs
			}
			p := &plan.Plan{Steps: ss}
			run, err := h.store.CreateRun(context.Background(), "r", p)
			if err != nil {
				t.Fatal(err)
			}
			log = &appendLog{Run: run}
			o := h.opts(log)
			o.Parallel = par
			sum, err := runner.Run(context.Background(), p, o)
			if err != nil || sum.Ok != len(p.Steps) {
				t.Fatalf("run: %v %+v", err, sum)
			}
			mu.Lock()
			for _, pr := range problems {
				t.Error(pr)
			}
			problems = nil
			mu.Unlock()
			if log.durable != len(log.evs) {
				t.Errorf("after the run %d of %d events are durable", log.durable, len(log.evs))
			}
		})
	}
}

var needsOf map[string][]string

// TestIdempotentChainSharesFsyncs: a chain of steps that are harmless to
// re-run does not pay an fsync per step (the point of writing their
// starts without waiting): besides the run's first and last events, the
// background fsync runs at most once per 10 ms window (the journal's
// syncWithin), plus once or twice when the journal closes. A chain of
// steps that are not harmless pays one each.
func TestIdempotentChainSharesFsyncs(t *testing.T) {
	for _, kind := range []string{"instant", "append"} {
		t.Run(kind, func(t *testing.T) {
			h := newHarness(t)
			var ss []*plan.Step
			out := filepath.Join(t.TempDir(), "out")
			for i := range 100 {
				s := step(fmt.Sprintf("s%03d", i), kind)
				if kind == "append" {
					s.With = map[string]any{"file": out, "line": "x"}
				}
				if i > 0 {
					s.Needs = []string{fmt.Sprintf("s%03d", i-1)}
				}
				ss = append(ss, s)
			}
			p := &plan.Plan{Steps: ss}
			run, err := h.store.CreateRun(context.Background(), "r", p)
			if err != nil {
				t.Fatal(err)
			}
			log := &appendLog{Run: run}
			o := h.opts(log)
			o.Parallel = 1
			start := time.Now()
			sum, err := runner.Run(context.Background(), p, o)
			elapsed := time.Since(start)
			if err != nil || sum.Ok != len(p.Steps) {
				t.Fatalf("run: %v %+v", err, sum)
			}
			if kind == "append" {
				if log.syncs < 102 { // run start, 100 step starts, run end
					t.Errorf("%d fsyncs for 100 steps that are not idempotent, want at least 102", log.syncs)
				}
			} else if limit := 4 + int(elapsed/(10*time.Millisecond)); log.syncs > limit {
				t.Errorf("%d fsyncs for 100 idempotent steps in %v, want at most %d", log.syncs, elapsed, limit)
			}
			if log.durable != len(log.evs) {
				t.Errorf("after the run %d of %d events are durable", log.durable, len(log.evs))
			}
		})
	}
}

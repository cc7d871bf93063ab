package runner_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/planrun/planrun/plan"
	"github.com/planrun/planrun/runner"
	"github.com/planrun/planrun/runner/checkpoint"
)

// appendLog keeps the events in the order they were appended.
type appendLog struct {
	checkpoint.Run
	mu    sync.Mutex
	evs   []checkpoint.Event
	calls int
}

func (a *appendLog) Append(ctx context.Context, evs []checkpoint.Event) error {
	if err := a.Run.Append(ctx, evs); err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.evs = append(a.evs, evs...)
	a.calls++
	return nil
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

package runner_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/planrun/planrun/plan"
	"github.com/planrun/planrun/runner"
	"github.com/planrun/planrun/runner/checkpoint"
	"github.com/planrun/planrun/steps"
)

func TestDiamondOrder(t *testing.T) {
	h := newHarness(t)
	p := &plan.Plan{Steps: []*plan.Step{step("d", "instant", "b", "c"), step("b", "instant", "a"), step("c", "instant", "a"), step("a", "instant")}}
	sum := h.apply(context.Background(), "r", p, nil)
	if sum.Status != runner.StatusOK || sum.Ok != 4 {
		t.Fatalf("summary %+v", sum)
	}
	// A step starts only after every step it needs succeeded.
	done := map[string]int64{}
	for _, e := range h.rec.events() {
		switch e.Type {
		case checkpoint.StepSucceeded:
			done[e.Step] = e.Seq
		case checkpoint.StepStarted:
			for _, need := range map[string][]string{"b": {"a"}, "c": {"a"}, "d": {"b", "c"}}[e.Step] {
				if s, ok := done[need]; !ok || s > e.Seq {
					t.Errorf("%s started (seq %d) before %s succeeded", e.Step, e.Seq, need)
				}
			}
		}
	}
	if sum.String() != "4 steps ok, 0 failed, 0 skipped" {
		t.Errorf("summary line %q", sum.String())
	}
}

func TestConcurrency(t *testing.T) {
	tests := map[string]struct {
		parallel int
		pool     int // 0: no pool
		want     int64
	}{
		"independent steps overlap": {parallel: 8, want: 6},
		"parallel 1 serialises":     {parallel: 1, want: 1},
		"a pool limits its steps":   {parallel: 8, pool: 2, want: 2},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := &gauge{}
			h := newHarness(t, gaugeKind("hold", g, tc.want))
			p := &plan.Plan{}
			if tc.pool > 0 {
				p.Limits = map[string]int{"pool": tc.pool}
			}
			for i := range 6 {
				s := step(fmt.Sprintf("s%d", i), "hold")
				if tc.pool > 0 {
					s.Limits = []string{"pool"}
				}
				p.Steps = append(p.Steps, s)
			}
			sum := h.apply(context.Background(), "r", p, func(o *runner.Options) { o.Parallel = tc.parallel })
			if sum.Ok != 6 {
				t.Fatalf("summary %+v", sum)
			}
			if got := g.peak.Load(); got != tc.want {
				t.Errorf("peak concurrency = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestRetry(t *testing.T) {
	tests := map[string]struct {
		attempts, failures int
		wantStatus         string
		wantRuns           int64
		wantAttemptFailed  int
	}{
		"succeeds on the third attempt": {attempts: 3, failures: 2, wantStatus: checkpoint.StatusSucceeded, wantRuns: 3, wantAttemptFailed: 2},
		"runs out of attempts":          {attempts: 2, failures: 5, wantStatus: checkpoint.StatusFailed, wantRuns: 2, wantAttemptFailed: 1},
		"no retry":                      {attempts: 1, failures: 1, wantStatus: checkpoint.StatusFailed, wantRuns: 1, wantAttemptFailed: 0},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var runs atomic.Int64
			flaky := &fake{name: "flaky", idem: true, run: func(ctx context.Context, env *steps.Env) (steps.Outputs, error) {
				if runs.Add(1) <= int64(tc.failures) {
					return nil, errors.New("connection refused")
				}
				return steps.Outputs{}, nil
			}}
			h := newHarness(t, flaky)
			s := step("f", "flaky")
			s.Host = "new-guest"
			s.Retry = plan.Retry{Attempts: tc.attempts, Backoff: plan.Duration(time.Millisecond), MaxBackoff: plan.Duration(4 * time.Millisecond)}
			h.apply(context.Background(), "r", &plan.Plan{Steps: []*plan.Step{s}}, nil)
			if got := h.states("r")["f"]; got != tc.wantStatus {
				t.Errorf("status %s, want %s", got, tc.wantStatus)
			}
			if runs.Load() != tc.wantRuns {
				t.Errorf("ran %d times, want %d", runs.Load(), tc.wantRuns)
			}
			n := 0
			for _, e := range h.rec.events() {
				if e.Type == checkpoint.AttemptFailed {
					n++
					if e.Error != "step f (host new-guest): connection refused" {
						t.Errorf("attempt error %q", e.Error)
					}
				}
			}
			if n != tc.wantAttemptFailed {
				t.Errorf("%d attempt_failed events, want %d", n, tc.wantAttemptFailed)
			}
		})
	}
}

func TestTimeoutNamesStep(t *testing.T) {
	h := newHarness(t)
	s := step("slow", "sleep")
	s.With = map[string]any{"duration": "10s"}
	s.Timeout = plan.Duration(50 * time.Millisecond)
	start := time.Now()
	sum := h.apply(context.Background(), "r", &plan.Plan{Steps: []*plan.Step{s}}, nil)
	if sum.Failed != 1 {
		t.Fatalf("summary %+v", sum)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("timeout did not stop the step")
	}
	if e := h.last("r", "slow", checkpoint.StepFailed); e.Error != "step slow: timed out after 50ms" {
		t.Errorf("error %q", e.Error)
	}
}

// failPlan: "bad" fails once "gate" has started; gate then takes a while,
// so "after" (which needs gate) becomes ready after bad failed; "down"
// needs bad.
func failPlan(batch bool) *plan.Plan {
	p := &plan.Plan{Steps: []*plan.Step{step("bad", "bad"), step("gate", "gate"), step("after", "instant", "gate"), step("down", "instant", "bad"), step("down2", "instant", "down")}}
	if batch {
		for _, s := range p.Steps {
			s.Batch = "b"
		}
		p.Steps[0].Item, p.Steps[3].Item, p.Steps[4].Item = "1", "1", "1"
		p.Steps[1].Item, p.Steps[2].Item = "2", "2"
	}
	return p
}

// gateKinds: gate signals its start and then holds 100ms; bad waits for
// gate to start, then fails.
func gateKinds() []steps.Kind {
	started := make(chan struct{})
	gate := &fake{name: "gate", idem: true, run: func(ctx context.Context, env *steps.Env) (steps.Outputs, error) {
		close(started)
		time.Sleep(100 * time.Millisecond)
		return nil, nil
	}}
	bad := &fake{name: "bad", idem: true, run: func(ctx context.Context, env *steps.Env) (steps.Outputs, error) {
		<-started
		return nil, errors.New("broken")
	}}
	return []steps.Kind{gate, bad}
}

func TestFailureHandling(t *testing.T) {
	tests := map[string]struct {
		p         *plan.Plan
		keepGoing bool
		want      map[string]string
		summary   string
	}{
		"fail-fast stops new work": {p: failPlan(false), want: map[string]string{
			"bad": "failed", "gate": "succeeded", "after": "skipped", "down": "skipped", "down2": "skipped"},
			summary: "1 step ok, 1 failed, 3 skipped"},
		"keep-going runs independent branches": {p: failPlan(false), keepGoing: true, want: map[string]string{
			"bad": "failed", "gate": "succeeded", "after": "succeeded", "down": "skipped", "down2": "skipped"},
			summary: "2 steps ok, 1 failed, 2 skipped"},
		"batch items are independent": {p: failPlan(true), want: map[string]string{
			"bad": "failed", "gate": "succeeded", "after": "succeeded", "down": "skipped", "down2": "skipped"},
			summary: "2 steps ok, 1 failed, 2 skipped; items: 1 ok, 1 failed"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, gateKinds()...)
			sum := h.apply(context.Background(), "r", tc.p, func(o *runner.Options) { o.KeepGoing = tc.keepGoing })
			if diff := cmp.Diff(tc.want, h.states("r")); diff != "" {
				t.Errorf("states (-want +got):\n%s", diff)
			}
			if sum.String() != tc.summary || sum.Status != runner.StatusFailed {
				t.Errorf("summary %q (%s), want %q", sum.String(), sum.Status, tc.summary)
			}
			if e := h.last("r", "down2", checkpoint.StepSkipped); e.Reason != "upstream bad failed" {
				t.Errorf("skip reason %q", e.Reason)
			}
			if len(sum.Errors) != 1 || sum.Errors[0] != "step bad: broken" {
				t.Errorf("errors %q", sum.Errors)
			}
		})
	}
}

func TestOnly(t *testing.T) {
	h := newHarness(t)
	p := &plan.Plan{Steps: []*plan.Step{step("a", "instant"), step("b", "instant", "a"), step("c", "instant", "b"), step("x", "instant")}}
	sum := h.apply(context.Background(), "r", p, func(o *runner.Options) { o.Only = []string{"b"} })
	if diff := cmp.Diff(map[string]string{"a": "succeeded", "b": "succeeded"}, h.states("r")); diff != "" {
		t.Errorf("states (-want +got):\n%s", diff)
	}
	if sum.Ok != 2 || sum.Status != runner.StatusOK {
		t.Errorf("summary %+v", sum)
	}
}

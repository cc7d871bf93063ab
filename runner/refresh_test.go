package runner_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/planrun/planrun/plan"
	"github.com/planrun/planrun/runner"
	"github.com/planrun/planrun/runner/checkpoint"
	"github.com/planrun/planrun/steps"
)

// TestRefresh applies a plan (u, then down: instant, idempotent, no
// probe), changes the world, and applies it again over the first run.
func TestRefresh(t *testing.T) {
	// probed: a probe whose answer is the test's; its outputs {"v": 1}
	// when it runs.
	var answer func() (steps.ProbeResult, error)
	probed := probedFake{&fake{name: "probed",
		run: func(context.Context, *steps.Env) (steps.Outputs, error) { return steps.Outputs{"v": 1}, nil },
		probe: func(context.Context, *steps.Env, steps.Outputs) (steps.ProbeResult, error) {
			return answer()
		}}}
	inPlace := func() (steps.ProbeResult, error) {
		return steps.ProbeResult{Done: true, Outputs: steps.Outputs{"v": 1}}, nil
	}
	tests := map[string]struct {
		kind    string
		remove  bool // the line u appended is gone before the second apply
		answer  func() (steps.ProbeResult, error)
		refresh bool
		resume  bool // the second session resumes the first run
		// want: u's last event (type, reason), lines in the file, and
		// the summary's counts.
		wantType, wantReason string
		wantLines            int
		ok, done, checked    int
		redone, failed       int
	}{
		"probe finds it in place": {kind: "probed_append", refresh: true,
			wantType: checkpoint.StepSkipped, wantReason: checkpoint.ReasonAlreadyDone, wantLines: 1,
			ok: 1, done: 1, checked: 1, redone: 1},
		"probe finds it gone: it runs again": {kind: "probed_append", remove: true, refresh: true,
			wantType: checkpoint.StepStarted, wantReason: runner.ReasonGone, wantLines: 1,
			ok: 2, redone: 2},
		"probe says what it found: the reason says it too": {kind: "probed", refresh: true,
			answer: func() (steps.ProbeResult, error) {
				return steps.ProbeResult{Why: `in m on h, "x.pb" has changed`}, nil
			},
			wantType: checkpoint.StepStarted, wantReason: runner.ReasonGone + `: in m on h, "x.pb" has changed`,
			ok: 2, redone: 2},
		"no refresh: kept unchecked": {kind: "probed_append", remove: true,
			wantType: checkpoint.StepSkipped, wantReason: checkpoint.ReasonAlreadyDone, wantLines: 0,
			done: 2},
		"not idempotent, no probe: kept unchecked": {kind: "append", remove: true, refresh: true,
			wantType: checkpoint.StepSkipped, wantReason: checkpoint.ReasonAlreadyDone, wantLines: 0,
			ok: 1, done: 1, redone: 1},
		"resume: the check is recorded": {kind: "probed_append", refresh: true, resume: true,
			wantType: checkpoint.StepSkipped, wantReason: checkpoint.ReasonAlreadyDone, wantLines: 1,
			ok: 1, done: 1, checked: 1, redone: 1},
		"probe fails: the step fails": {kind: "probed", refresh: true,
			answer:   func() (steps.ProbeResult, error) { return steps.ProbeResult{}, errors.New("host unreachable") },
			wantType: checkpoint.StepFailed, wantLines: 0, failed: 1},
		"in place with new outputs: they are recorded": {kind: "probed", refresh: true,
			answer: func() (steps.ProbeResult, error) {
				return steps.ProbeResult{Done: true, Outputs: steps.Outputs{"v": 2}}, nil
			},
			wantType: checkpoint.StepSucceeded, wantReason: checkpoint.ReasonProbed, wantLines: 0,
			ok: 2, redone: 1},
		"in place, same outputs": {kind: "probed", refresh: true, answer: inPlace,
			wantType: checkpoint.StepSkipped, wantReason: checkpoint.ReasonAlreadyDone, wantLines: 0,
			ok: 1, done: 1, checked: 1, redone: 1},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			answer = inPlace
			u := appendStep(tc.kind, "u", out)
			if tc.kind == "probed" {
				u.With = map[string]any{}
			}
			down := step("down", "instant", "u")
			// (an empty with: is stored as none, and would change its
			// fingerprint in a resume)
			down.With = map[string]any{"outputs": map[string]any{"k": "v"}}
			p := &plan.Plan{Steps: []*plan.Step{u, down}, Hash: "h"}
			h := newHarness(t, probed)
			ctx := context.Background()
			if sum := h.apply(ctx, "r1", p, nil); sum.Status != runner.StatusOK {
				t.Fatalf("first apply: %s", sum)
			}
			if tc.remove {
				os.Remove(out)
			}
			if tc.answer != nil {
				answer = tc.answer
			}
			run := "r2"
			refresh := func(o *runner.Options) { o.Refresh = tc.refresh }
			var sum *runner.Summary
			if tc.resume {
				run = "r1"
				sum = h.resume(ctx, run, refresh)
			} else {
				d, _ := h.store.LoadRun(ctx, "r1")
				sum = h.apply(ctx, run, p, func(o *runner.Options) { o.Prior = checkpoint.Fold(d.Events); refresh(o) })
			}
			var last checkpoint.Event
			for _, e := range h.rec.events() {
				if e.Step == "u" {
					last = e
				}
			}
			if tc.wantType == checkpoint.StepStarted {
				last = h.last(run, "u", checkpoint.StepStarted)
			}
			if last.Type != tc.wantType || tc.wantReason != "" && last.Reason != tc.wantReason {
				t.Errorf("u's event: %s %q, want %s %q", last.Type, last.Reason, tc.wantType, tc.wantReason)
			}
			if n := len(lines(t, out)); n != tc.wantLines {
				t.Errorf("%d lines, want %d", n, tc.wantLines)
			}
			got := [5]int{sum.Ok, sum.AlreadyDone, sum.Checked, sum.Redone, sum.Failed}
			if diff := cmp.Diff([5]int{tc.ok, tc.done, tc.checked, tc.redone, tc.failed}, got); diff != "" {
				t.Errorf("counts ok, done, checked, redone, failed (-want +got):\n%s", diff)
			}
			if tc.failed > 0 {
				e := h.last(run, "u", checkpoint.StepFailed)
				if want := "step u: refresh: check that its earlier success is still in place: host unreachable"; e.Error != want {
					t.Errorf("failure %q, want %q", e.Error, want)
				}
				// down is not run (skipped), yet keeps its success from
				// r1 for the next run, which checks its fingerprint again.
				if e := h.last(run, "down", checkpoint.StepSkipped); e.Status != checkpoint.StatusSucceeded {
					t.Errorf("down's skip %+v, want it to carry its success", e)
				}
				if st := h.states(run)["down"]; st != checkpoint.StatusSucceeded {
					t.Errorf("down is %s, want succeeded (kept)", st)
				}
			}
			if tc.wantReason == checkpoint.ReasonProbed {
				if e := h.last(run, "u", checkpoint.StepSucceeded); !strings.Contains(e.Reason, "probe") || fmt.Sprint(e.Outputs["v"]) != "2" {
					t.Errorf("probed success %+v, want outputs v=2", e)
				}
			}
		})
	}
}

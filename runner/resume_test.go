package runner_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/planrun/planrun/plan"
	"github.com/planrun/planrun/runner"
	"github.com/planrun/planrun/runner/checkpoint"
	"github.com/planrun/planrun/steps"
)

func lines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return strings.Fields(string(b))
}

// appendStep appends id to file.
func appendStep(kind, id, file string, needs ...string) *plan.Step {
	s := step(id, kind, needs...)
	s.With = map[string]any{"file": file, "line": id}
	return s
}

func TestResumeAfterFix(t *testing.T) {
	dir := t.TempDir()
	out, fixed := filepath.Join(dir, "out"), filepath.Join(dir, "fixed")
	gate := step("gate", "fail_until", "a")
	gate.With = map[string]any{"file": fixed}
	p := &plan.Plan{Steps: []*plan.Step{appendStep("append", "a", out), gate, appendStep("append", "c", out, "gate"), appendStep("append", "x", out)}}
	h := newHarness(t)
	ctx := context.Background()
	sum := h.apply(ctx, "r", p, func(o *runner.Options) { o.KeepGoing = true })
	if sum.Status != runner.StatusFailed || sum.Failed != 1 || sum.Skipped != 1 {
		t.Fatalf("first run: %s", sum)
	}
	os.WriteFile(fixed, nil, 0o644)
	sum = h.resume(ctx, "r", nil)
	if sum.Status != runner.StatusOK || sum.Ok != 2 || sum.AlreadyDone != 2 {
		t.Fatalf("resume: %+v", sum)
	}
	// Succeeded steps' side effects happened once.
	if diff := cmp.Diff([]string{"a", "x", "c"}, lines(t, out), cmpSortLast()); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}
	// A second resume has nothing to do and records nothing new but the run.
	before := len(h.rec.events())
	sum = h.resume(ctx, "r", nil)
	if sum.Ok != 0 || sum.AlreadyDone != 4 {
		t.Errorf("idle resume: %+v", sum)
	}
	if n := len(h.rec.events()) - before; n != 2 {
		t.Errorf("idle resume recorded %d events, want 2 (run started/finished)", n)
	}
	// Gate's attempts continue their numbering across sessions.
	if e := h.last("r", "gate", checkpoint.StepSucceeded); e.Attempt != 2 {
		t.Errorf("gate's second session attempt = %d, want 2", e.Attempt)
	}
}

// cmpSortLast compares line lists as multisets.
func cmpSortLast() cmp.Option {
	return cmp.Transformer("sort", func(in []string) map[string]int {
		m := map[string]int{}
		for _, s := range in {
			m[s]++
		}
		return m
	})
}

func TestApplyKeepsDoneSteps(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	p := &plan.Plan{Steps: []*plan.Step{appendStep("append", "a", out), appendStep("append", "b", out, "a")}, Hash: "h"}
	h := newHarness(t)
	ctx := context.Background()
	h.apply(ctx, "r1", p, nil)
	d, _ := h.store.LoadRun(ctx, "r1")
	sum := h.apply(ctx, "r2", p, func(o *runner.Options) { o.Prior = checkpoint.Fold(d.Events) })
	if sum.AlreadyDone != 2 || sum.Ok != 0 {
		t.Fatalf("second apply: %+v", sum)
	}
	if got := lines(t, out); len(got) != 2 {
		t.Errorf("steps ran again: %q", got)
	}
	// The new run is self-contained: done steps carry their outputs.
	e := h.last("r2", "b", checkpoint.StepSkipped)
	if e.Reason != checkpoint.ReasonAlreadyDone || e.Outputs["line"] != "b" || e.Fingerprint == "" {
		t.Errorf("carried event %+v", e)
	}
	if diff := cmp.Diff(map[string]string{"a": "succeeded", "b": "succeeded"}, h.states("r2")); diff != "" {
		t.Errorf("states (-want +got):\n%s", diff)
	}
}

func TestResumeUnknownOutcome(t *testing.T) {
	tests := map[string]struct {
		kind      string
		inFile    bool // the lost attempt did its work
		force     bool
		want      string
		wantLines int
	}{
		"not idempotent, no probe: fail with advice": {kind: "append", inFile: true, want: checkpoint.StatusUnknown, wantLines: 1},
		"--from re-runs it":                          {kind: "append", inFile: true, force: true, want: checkpoint.StatusSucceeded, wantLines: 2},
		"probe finds it done":                        {kind: "probed_append", inFile: true, want: checkpoint.StatusSucceeded, wantLines: 1},
		"probe finds it not done":                    {kind: "probed_append", want: checkpoint.StatusSucceeded, wantLines: 1},
		"idempotent re-runs":                         {kind: "fail_until", want: checkpoint.StatusSucceeded},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "out")
			s := appendStep(tc.kind, "u", out)
			if tc.kind == "fail_until" {
				os.WriteFile(out, nil, 0o644)
				s.With = map[string]any{"file": out}
			}
			p := &plan.Plan{Steps: []*plan.Step{s, step("down", "instant", "u")}}
			h := newHarness(t)
			ctx := context.Background()
			run, _ := h.store.CreateRun(ctx, "r", p)
			// A crash right after the start was recorded.
			_, params, _ := simpleResolve(s, h.reg, nil, nil)
			k, _ := h.reg.Lookup(tc.kind)
			run.Append(ctx, []checkpoint.Event{{Type: checkpoint.StepStarted, Step: "u", Attempt: 1, Fingerprint: simpleFingerprint(s, k.Version(), params), Time: time.Now()}})
			if tc.inFile {
				os.WriteFile(out, []byte("u\n"), 0o644)
			}
			sum := h.resume(ctx, "r", func(o *runner.Options) {
				if tc.force {
					o.Force = []string{"u", "down"}
				}
			})
			st := h.states("r")
			if st["u"] != tc.want {
				t.Errorf("u is %s, want %s (%s)", st["u"], tc.want, sum)
			}
			if tc.want == checkpoint.StatusUnknown {
				e := h.last("r", "u", checkpoint.StepFailed)
				if !strings.Contains(e.Error, "planrun resume --from u") || e.Reason != checkpoint.ReasonUnknownOutcome {
					t.Errorf("failure %+v", e)
				}
				if st["down"] != checkpoint.StatusSkipped {
					t.Errorf("down is %s", st["down"])
				}
				// Resuming again does not silently re-run it.
				h.resume(ctx, "r", nil)
				if h.states("r")["u"] != checkpoint.StatusUnknown {
					t.Error("a second resume settled the unknown step")
				}
			}
			if n := len(lines(t, out)); tc.kind != "fail_until" && n != tc.wantLines {
				t.Errorf("%d lines, want %d", n, tc.wantLines)
			}
		})
	}
}

func TestInterrupt(t *testing.T) {
	tests := map[string]struct{ ignoresCancel bool }{
		"step honours cancellation": {},
		"step ignores cancellation": {ignoresCancel: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			started := make(chan struct{})
			var once atomic.Bool
			block := &fake{name: "block", idem: true, run: func(ctx context.Context, env *steps.Env) (steps.Outputs, error) {
				if once.CompareAndSwap(false, true) {
					close(started)
				}
				if tc.ignoresCancel {
					time.Sleep(3 * time.Second)
					return nil, nil
				}
				<-ctx.Done()
				return nil, ctx.Err()
			}}
			h := newHarness(t, block)
			p := &plan.Plan{Steps: []*plan.Step{step("a", "block"), step("b", "instant", "a")}}
			ctx, cancel := context.WithCancel(context.Background())
			go func() { <-started; cancel() }()
			t0 := time.Now()
			sum := h.apply(ctx, "r", p, nil)
			if d := time.Since(t0); d > 2*time.Second {
				t.Errorf("interrupt took %s", d)
			}
			if sum.Status != runner.StatusInterrupted || sum.Interrupted != 1 || sum.NotRun != 1 {
				t.Fatalf("summary %+v", sum)
			}
			if diff := cmp.Diff(map[string]string{"a": "interrupted"}, h.states("r")); diff != "" {
				t.Errorf("states (-want +got):\n%s", diff)
			}
			// The interrupted run resumes cleanly.
			h.reg = steps.NewRegistry(append([]steps.Kind{&fake{name: "block", idem: true, run: func(context.Context, *steps.Env) (steps.Outputs, error) { return nil, nil }}}, kindsExcept(h.reg, "block")...)...)
			sum = h.resume(context.Background(), "r", nil)
			if sum.Status != runner.StatusOK || sum.Ok != 2 {
				t.Errorf("resume: %+v", sum)
			}
		})
	}
}

func kindsExcept(reg *steps.Registry, name string) []steps.Kind {
	var ks []steps.Kind
	for _, n := range reg.Names() {
		if n != name {
			k, _ := reg.Lookup(n)
			ks = append(ks, k)
		}
	}
	return ks
}

func TestProbeError(t *testing.T) {
	pf := probedFake{&fake{name: "pf", run: func(context.Context, *steps.Env) (steps.Outputs, error) { return nil, nil },
		probe: func(context.Context, *steps.Env, steps.Outputs) (steps.ProbeResult, error) {
			return steps.ProbeResult{}, os.ErrPermission
		}}}
	h := newHarness(t, pf)
	p := &plan.Plan{Steps: []*plan.Step{step("p", "pf")}}
	ctx := context.Background()
	run, _ := h.store.CreateRun(ctx, "r", p)
	run.Append(ctx, []checkpoint.Event{{Type: checkpoint.StepStarted, Step: "p", Attempt: 1, Fingerprint: "x"}})
	h.resume(ctx, "r", nil)
	e := h.last("r", "p", checkpoint.StepFailed)
	if e.Reason != checkpoint.ReasonUnknownOutcome || !strings.Contains(e.Error, "step p: probe the unknown outcome of attempt 1: permission denied") {
		t.Errorf("failure %+v", e)
	}
}

// TestApplyOverUnknownOutcome: an apply over a run that left a step's
// outcome unknown settles it (as resume does) when the step is the same
// work, and simply runs it when its fingerprint changed since (other work).
func TestApplyOverUnknownOutcome(t *testing.T) {
	for name, tc := range map[string]struct {
		line      string
		want      string
		wantLines []string
	}{
		"same work: fail with advice": {line: "u", want: checkpoint.StatusUnknown, wantLines: []string{"u"}},
		"changed since: runs":         {line: "u2", want: checkpoint.StatusSucceeded, wantLines: []string{"u", "u2"}},
	} {
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			old := appendStep("append", "u", out)
			h := newHarness(t)
			ctx := context.Background()
			run, _ := h.store.CreateRun(ctx, "r1", &plan.Plan{Steps: []*plan.Step{old}})
			_, params, _ := simpleResolve(old, h.reg, nil, nil)
			k, _ := h.reg.Lookup("append")
			run.Append(ctx, []checkpoint.Event{{Type: checkpoint.StepStarted, Step: "u", Attempt: 1, Fingerprint: simpleFingerprint(old, k.Version(), params), Time: time.Now()}})
			os.WriteFile(out, []byte("u\n"), 0o644) // the lost attempt did its work
			d, _ := h.store.LoadRun(ctx, "r1")
			s := appendStep("append", tc.line, out)
			s.ID = "u"
			h.apply(ctx, "r2", &plan.Plan{Steps: []*plan.Step{s}}, func(o *runner.Options) { o.Prior = checkpoint.Fold(d.Events) })
			if got := h.states("r2")["u"]; got != tc.want {
				t.Errorf("u is %s, want %s", got, tc.want)
			}
			if got := lines(t, out); !slices.Equal(got, tc.wantLines) {
				t.Errorf("out %q, want %q", got, tc.wantLines)
			}
		})
	}
}

// TestResumeStopKeepsDone: a resume that stops (fail-fast) after a step
// fails keeps what is already done in the run, carried or run there, and
// leaves another step of unknown outcome unknown: a skip recorded over
// either would make the next resume run it again (it did, for exec
// steps, after a crash).
func TestResumeStopKeepsDone(t *testing.T) {
	dir := t.TempDir()
	h := newHarness(t)
	ctx := context.Background()
	u := appendStep("append", "u", filepath.Join(dir, "u"))
	v := appendStep("append", "v", filepath.Join(dir, "v"))
	steps := []*plan.Step{u, v}
	fpOf := func(s *plan.Step) string {
		_, params, _ := simpleResolve(s, h.reg, nil, nil)
		k, _ := h.reg.Lookup(s.Kind)
		return simpleFingerprint(s, k.Version(), params)
	}
	now := time.Now()
	events := []checkpoint.Event{
		{Type: checkpoint.StepStarted, Step: "u", Attempt: 1, Fingerprint: fpOf(u), Time: now},
		{Type: checkpoint.StepStarted, Step: "v", Attempt: 1, Fingerprint: fpOf(v), Time: now},
	}
	for i := range 50 {
		s := appendStep("append", fmt.Sprintf("d%02d", i), filepath.Join(dir, fmt.Sprintf("d%02d", i)))
		steps = append(steps, s)
		os.WriteFile(s.With["file"].(string), []byte(s.ID+"\n"), 0o644)
		typ, reason := checkpoint.StepSucceeded, ""
		if i%2 == 0 { // carried over from an earlier run by apply
			typ, reason = checkpoint.StepSkipped, checkpoint.ReasonAlreadyDone
		}
		events = append(events, checkpoint.Event{Type: typ, Reason: reason, Step: s.ID, Attempt: 1, Fingerprint: fpOf(s),
			Outputs: map[string]any{"line": s.ID}, Time: now})
	}
	p := &plan.Plan{Steps: steps}
	run, _ := h.store.CreateRun(ctx, "r", p)
	run.Append(ctx, events)
	for range 2 {
		h.resume(ctx, "r", nil)
		st := h.states("r")
		for _, s := range steps[2:] {
			if st[s.ID] != checkpoint.StatusSucceeded {
				t.Fatalf("%s is %s after the resume stopped, want succeeded", s.ID, st[s.ID])
			}
			if n := len(lines(t, s.With["file"].(string))); n != 1 {
				t.Fatalf("%s ran again: %d lines", s.ID, n)
			}
		}
		if st["u"] != checkpoint.StatusUnknown || st["v"] != checkpoint.StatusUnknown {
			t.Fatalf("u is %s and v is %s, want both unknown (no skip over an unknown outcome)", st["u"], st["v"])
		}
	}
}

// TestInterruptItemsUnfinished: items an interrupt cuts short count as
// unfinished, not failed; an item that failed is failed, one done is ok.
func TestInterruptItemsUnfinished(t *testing.T) {
	started := make(chan struct{})
	var once atomic.Bool
	block := &fake{name: "block", idem: true, run: func(ctx context.Context, env *steps.Env) (steps.Outputs, error) {
		if once.CompareAndSwap(false, true) {
			close(started)
		}
		<-ctx.Done()
		return nil, ctx.Err()
	}}
	broken := &fake{name: "broken", idem: true, run: func(ctx context.Context, env *steps.Env) (steps.Outputs, error) {
		return nil, errors.New("broken")
	}}
	h := newHarness(t, block, broken)
	item := func(key, kind string) *plan.Step {
		s := step("s["+key+"]", kind)
		s.Batch, s.Item = "m", key
		return s
	}
	p := &plan.Plan{Steps: []*plan.Step{item("done", "instant"), item("bad", "broken"), item("cut", "block")}}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-started; time.Sleep(50 * time.Millisecond); cancel() }()
	sum := h.apply(ctx, "r", p, func(o *runner.Options) { o.Parallel = 3 })
	if sum.ItemsOk != 1 || sum.ItemsFailed != 1 || sum.ItemsUnfinished != 1 {
		t.Fatalf("items %d ok, %d failed, %d unfinished; want 1, 1, 1 (%s)", sum.ItemsOk, sum.ItemsFailed, sum.ItemsUnfinished, sum)
	}
	if !strings.Contains(sum.String(), "items: 1 ok, 1 failed, 1 unfinished") {
		t.Errorf("summary %q", sum)
	}
}

// TestSkipKeepsPriorState: a step skipped because its upstream failed
// keeps what it was before: a success stays a success (carried with its
// fingerprint and outputs, not run again next time if those hold) and an
// unknown outcome stays unknown (checked, not simply run, next time), in
// a resume (its own run's record) and in an apply (an earlier run's).
func TestSkipKeepsPriorState(t *testing.T) {
	dir := t.TempDir()
	fail := true
	gate := &fake{name: "gate", idem: true, run: func(context.Context, *steps.Env) (steps.Outputs, error) {
		if fail {
			return nil, errors.New("upstream broke")
		}
		return steps.Outputs{}, nil
	}}
	for _, resume := range []bool{true, false} {
		t.Run(fmt.Sprintf("resume=%v", resume), func(t *testing.T) {
			fail = true
			h := newHarness(t, gate)
			ctx := context.Background()
			u := step("u", "gate")
			done := appendStep("append", "done", filepath.Join(dir, fmt.Sprint(resume, "done")))
			unk := appendStep("append", "unk", filepath.Join(dir, fmt.Sprint(resume, "unk")))
			done.Needs, unk.Needs = []string{"u"}, []string{"u"}
			p := &plan.Plan{Steps: []*plan.Step{u, done, unk}}
			fpOf := func(s *plan.Step) string {
				_, params, _ := simpleResolve(s, h.reg, nil, nil)
				k, _ := h.reg.Lookup(s.Kind)
				return simpleFingerprint(s, k.Version(), params)
			}
			now := time.Now()
			events := []checkpoint.Event{
				// u's fingerprint differs from the recorded one: it runs (and fails)
				{Type: checkpoint.StepSucceeded, Step: "u", Attempt: 1, Fingerprint: "old", Time: now},
				{Type: checkpoint.StepSucceeded, Step: "done", Attempt: 1, Fingerprint: fpOf(done), Outputs: map[string]any{"line": "done"}, Time: now},
				{Type: checkpoint.StepStarted, Step: "unk", Attempt: 1, Fingerprint: fpOf(unk), Time: now},
			}
			r1, _ := h.store.CreateRun(ctx, "r1", p)
			r1.Append(ctx, events)
			run := "r1"
			if resume {
				h.resume(ctx, "r1", nil)
			} else {
				run = "r2"
				d, _ := h.store.LoadRun(ctx, "r1")
				h.apply(ctx, run, p, func(o *runner.Options) { o.Prior = checkpoint.Fold(d.Events) })
			}
			st := h.states(run)
			if st["u"] != checkpoint.StatusFailed || st["done"] != checkpoint.StatusSucceeded || st["unk"] != checkpoint.StatusUnknown {
				t.Fatalf("after u failed: u %s, done %s, unk %s; want failed, succeeded (kept), unknown (kept)", st["u"], st["done"], st["unk"])
			}
			if e := h.last(run, "done", checkpoint.StepSkipped); !strings.Contains(e.Reason, "u failed") {
				t.Errorf("done's skip %+v, want the upstream named", e)
			}
			// u is fixed: done is not run again; unk is checked, not run
			// (append has no probe and is not idempotent: it fails, asking
			// for a check).
			fail = false
			h.resume(ctx, run, nil)
			if n := len(lines(t, done.With["file"].(string))); n != 0 {
				t.Errorf("done ran again: %d lines", n)
			}
			if n := len(lines(t, unk.With["file"].(string))); n != 0 {
				t.Errorf("unk ran as if new: %d lines", n)
			}
			if e := h.last(run, "unk", checkpoint.StepFailed); e.Reason != checkpoint.ReasonUnknownOutcome || !strings.Contains(e.Error, "attempt 1 ") || strings.Contains(e.Error, "0001-01-01") {
				t.Errorf("unk's failure %+v, want the unknown-outcome check naming attempt 1", e)
			}
		})
	}
}

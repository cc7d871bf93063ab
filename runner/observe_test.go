package runner_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/planrun/planrun/internal/redact"
	"github.com/planrun/planrun/plan"
	"github.com/planrun/planrun/runner"
	"github.com/planrun/planrun/runner/checkpoint"
	"github.com/planrun/planrun/steps"
)

// progressRec records progress calls.
type progressRec struct {
	recorder
	pmu  sync.Mutex
	last map[string][2]int64
}

func (p *progressRec) Progress(step string, done, total int64) {
	p.pmu.Lock()
	defer p.pmu.Unlock()
	if p.last == nil {
		p.last = map[string][2]int64{}
	}
	p.last[step] = [2]int64{done, total}
}

func TestObserverOrderAndProgress(t *testing.T) {
	mover := &fake{name: "mover", idem: true, run: func(ctx context.Context, env *steps.Env) (steps.Outputs, error) {
		env.Progress.SetTotal(300)
		for range 3 {
			env.Progress.Add(100)
		}
		return nil, nil
	}}
	h := newHarness(t, mover)
	obs := &progressRec{}
	p := &plan.Plan{}
	for i := range 40 {
		p.Steps = append(p.Steps, step(fmt.Sprintf("m%d", i), "mover"))
	}
	h.apply(context.Background(), "r", p, func(o *runner.Options) { o.Observer = obs })
	evs := obs.events()
	if len(evs) != 2+80 {
		t.Fatalf("observed %d events, want 82", len(evs))
	}
	for i, e := range evs {
		if e.Seq != int64(i+1) {
			t.Fatalf("event %d has seq %d: observers must get events in order", i, e.Seq)
		}
	}
	if got := obs.last["m7"]; got != [2]int64{300, 300} {
		t.Errorf("progress of m7 = %v, want [300 300]", got)
	}
}

func TestRedaction(t *testing.T) {
	const secret = "hunter2-very-secret"
	leaky := &fake{name: "leaky", idem: true, run: func(ctx context.Context, env *steps.Env) (steps.Outputs, error) {
		fmt.Fprintf(env.Log, "connecting with %s\n", secret)
		if env.StepID == "bad" {
			return nil, fmt.Errorf("login %s rejected", secret)
		}
		return steps.Outputs{"token": "t=" + secret}, nil
	}}
	h := newHarness(t, leaky)
	p := &plan.Plan{Steps: []*plan.Step{step("good", "leaky"), step("bad", "leaky")}}
	sum := h.apply(context.Background(), "r", p, func(o *runner.Options) {
		o.Redactor, o.KeepGoing = redact.New(secret), true
	})
	d, _ := h.store.LoadRun(context.Background(), "r")
	for _, e := range d.Events {
		if strings.Contains(fmt.Sprint(e), secret) {
			t.Errorf("secret recorded in %+v", e)
		}
	}
	for _, e := range sum.Errors {
		if strings.Contains(e, secret) || !strings.Contains(e, "login *** rejected") {
			t.Errorf("summary error %q", e)
		}
	}
	for _, id := range []string{"good", "bad"} {
		b, err := h.store.ReadLog(context.Background(), "r", id, 1)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), secret) || !strings.Contains(string(b), "connecting with ***") {
			t.Errorf("log of %s: %q", id, b)
		}
	}
}

// failingRun fails every append after the first n.
type failingRun struct {
	checkpoint.Run
	mu sync.Mutex
	n  int
}

func (f *failingRun) Append(ctx context.Context, evs []checkpoint.Event) error {
	if err := f.take(); err != nil {
		return err
	}
	return f.Run.Append(ctx, evs)
}

func (f *failingRun) Write(ctx context.Context, evs []checkpoint.Event) error {
	if err := f.take(); err != nil {
		return err
	}
	return f.Run.Write(ctx, evs)
}

// take counts one write; after n of them the disk is full.
func (f *failingRun) take() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n <= 0 {
		return errors.New("disk full")
	}
	f.n--
	return nil
}

func (f *failingRun) Log(step string, attempt int) io.WriteCloser { return f.Run.Log(step, attempt) }

func TestCheckpointFailureStopsRun(t *testing.T) {
	h := newHarness(t)
	p := &plan.Plan{Steps: []*plan.Step{step("a", "instant"), step("b", "instant", "a"), step("c", "instant", "b")}}
	run, _ := h.store.CreateRun(context.Background(), "r", p)
	o := h.opts(&failingRun{Run: run, n: 3})
	_, err := runner.Run(context.Background(), p, o)
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("err = %v, want the append failure", err)
	}
	// Nothing ran beyond what could be recorded.
	if st := h.states("r"); st["c"] != "" {
		t.Errorf("c has state %q though its start could not be recorded", st["c"])
	}
}

func TestBadOptions(t *testing.T) {
	h := newHarness(t)
	p := &plan.Plan{Steps: []*plan.Step{step("a", "instant")}, Limits: map[string]int{"pool": 1}}
	tests := map[string]func(o *runner.Options, p *plan.Plan){
		"unknown --only":  func(o *runner.Options, _ *plan.Plan) { o.Only = []string{"zz"} },
		"unknown force":   func(o *runner.Options, _ *plan.Plan) { o.Force = []string{"zz"} },
		"unknown kind":    func(_ *runner.Options, p *plan.Plan) { p.Steps[0].Kind = "teleport" },
		"unknown limit":   func(_ *runner.Options, p *plan.Plan) { p.Steps[0].Limits = []string{"nope"} },
		"unknown needs":   func(_ *runner.Options, p *plan.Plan) { p.Steps[0].Needs = []string{"ghost"} },
		"empty limit":     func(_ *runner.Options, p *plan.Plan) { p.Limits["pool"] = 0 },
		"no run or kinds": func(o *runner.Options, _ *plan.Plan) { o.Run = nil },
	}
	for name, mod := range tests {
		t.Run(name, func(t *testing.T) {
			pc := *p
			s := *p.Steps[0]
			pc.Steps = []*plan.Step{&s}
			pc.Limits = map[string]int{"pool": 1}
			run, _ := h.store.CreateRun(context.Background(), strings.ReplaceAll(name, " ", "_"), &pc)
			o := h.opts(run)
			mod(&o, &pc)
			if _, err := runner.Run(context.Background(), &pc, o); err == nil {
				t.Error("no error")
			}
		})
	}
}

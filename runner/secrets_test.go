package runner_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/planrun/planrun/internal/redact"
	"github.com/planrun/planrun/plan"
	"github.com/planrun/planrun/runner"
	"github.com/planrun/planrun/runner/checkpoint"
	"github.com/planrun/planrun/steps"
)

// useConfig is the `with:` of a step that uses a token.
type useConfig struct {
	Token  string `yaml:"token"`
	Marker string `yaml:"marker"` // the step fails while this file is missing
}

// useKind records the token each run of it gets.
type useKind struct {
	mu  sync.Mutex
	got []string
}

func (*useKind) Name() string     { return "use" }
func (*useKind) Version() int     { return 1 }
func (*useKind) Idempotent() bool { return true }
func (*useKind) NewConfig() any   { return &useConfig{} }
func (k *useKind) Run(_ context.Context, _ *steps.Env, cfg any) (steps.Outputs, error) {
	c := cfg.(*useConfig)
	k.mu.Lock()
	k.got = append(k.got, c.Token)
	k.mu.Unlock()
	if _, err := os.Stat(c.Marker); err != nil {
		return nil, err
	}
	return steps.Outputs{}, nil
}

func (k *useKind) tokens() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]string(nil), k.got...)
}

// TestSecretOutputs: an output that holds a secret reaches the steps that
// use it in the run that made it, and their fingerprints hold a digest of
// it, never the secret. A later run has the output only masked: a step
// using it that need not run again is kept, and one that must run fails,
// naming the output and how to make it again, instead of running with
// "***".
func TestSecretOutputs(t *testing.T) {
	const secret = "hunter2222secretX"
	marker := filepath.Join(t.TempDir(), "ok")
	login := &fake{name: "login", idem: true, run: func(context.Context, *steps.Env) (steps.Outputs, error) {
		return steps.Outputs{"token": secret, "user": "ann"}, nil
	}}
	use := &useKind{}
	h := newHarness(t, login, use)
	down := step("down", "use", "login")
	down.With = map[string]any{"token": "${{ steps.login.outputs.token }}", "marker": marker}
	p := &plan.Plan{Steps: []*plan.Step{step("login", "login"), down}}
	secrets := func(o *runner.Options) {
		o.Resolve, o.Fingerprint, o.Redactor = plan.Resolve, plan.Fingerprint, redact.New(secret)
	}
	ctx := context.Background()

	// The first run: down gets the token, and fails (no marker yet).
	if sum := h.apply(ctx, "r1", p, secrets); sum.Failed != 1 {
		t.Fatalf("first run: %s", sum)
	}
	if got := use.tokens(); len(got) != 1 || got[0] != secret {
		t.Fatalf("down got %q, want the token", got)
	}
	d, _ := h.store.LoadRun(ctx, "r1")
	b, _ := json.Marshal(d.Events)
	if strings.Contains(string(b), secret) {
		t.Errorf("the secret is recorded: %s", b)
	}
	ok := h.last("r1", "login", checkpoint.StepSucceeded)
	if ok.Outputs["token"] != redact.Mask || !strings.HasPrefix(ok.Redacted["token"], "redacted:") || len(ok.Redacted) != 1 {
		t.Errorf("login's success: outputs %v, redacted %v; want the token masked and named", ok.Outputs, ok.Redacted)
	}
	oracle := plan.Fingerprint(down, 1, map[string]any{"token": secret, "marker": marker})
	if fp := h.last("r1", "down", checkpoint.StepFailed).Fingerprint; fp == "" || fp == oracle {
		t.Errorf("down's fingerprint %q is the sha256 of its params with the secret in them", fp)
	}

	// A resume has the token only masked: down fails and says why.
	os.WriteFile(marker, nil, 0o644)
	sum := h.resume(ctx, "r1", secrets)
	if sum.Failed != 1 || len(sum.Errors) != 1 {
		t.Fatalf("resume: %s %q", sum, sum.Errors)
	}
	for _, want := range []string{"step down: ", "${{ steps.login.outputs.token }}: output token of step login held a secret",
		"run login again to make it, and this step after it: `planrun resume --from login`"} {
		if !strings.Contains(sum.Errors[0], want) {
			t.Errorf("error %q does not say %q", sum.Errors[0], want)
		}
	}
	if got := use.tokens(); len(got) != 1 {
		t.Fatalf("down ran with %q", got[1:])
	}

	// Running login again (resume --from login) makes the token again.
	sum = h.resume(ctx, "r1", func(o *runner.Options) { secrets(o); o.Force = []string{"login", "down"} })
	if sum.Status != runner.StatusOK {
		t.Fatalf("resume --from login: %s %q", sum, sum.Errors)
	}
	if got := use.tokens(); len(got) != 2 || got[1] != secret {
		t.Fatalf("down got %q, want the token", got)
	}

	// A later apply keeps both: down's fingerprint, from the recorded
	// digest, is the one it succeeded with.
	d, _ = h.store.LoadRun(ctx, "r1")
	sum = h.apply(ctx, "r2", p, func(o *runner.Options) { secrets(o); o.Prior = checkpoint.Fold(d.Events) })
	if sum.Status != runner.StatusOK || sum.AlreadyDone != 2 {
		t.Errorf("apply after success: %s %q, want both already done", sum, sum.Errors)
	}
	if got := use.tokens(); len(got) != 2 {
		t.Errorf("down ran again with %q", got[2:])
	}
	if e := h.last("r2", "login", checkpoint.StepSkipped); e.Redacted["token"] != ok.Redacted["token"] {
		t.Errorf("login carried over with redacted %v, want %v", e.Redacted, ok.Redacted)
	}
}

// TestSecretOutputsUnknownOutcome: a step whose outcome is unknown and
// that needs an output the state has only masked cannot be probed (that
// needs its config): it fails, and its outcome stays unknown, so that a
// later resume still settles it rather than simply running it again.
func TestSecretOutputsUnknownOutcome(t *testing.T) {
	use := &useKind{}
	h := newHarness(t, use, &fake{name: "login"})
	down := step("down", "use", "login")
	down.With = map[string]any{"token": "${{ steps.login.outputs.token }}", "marker": "/nonexistent"}
	p := &plan.Plan{Steps: []*plan.Step{step("login", "login"), down}}
	ctx := context.Background()
	run, err := h.store.CreateRun(ctx, "r", p)
	if err != nil {
		t.Fatal(err)
	}
	// What a crash while down ran leaves behind.
	evs := []checkpoint.Event{
		{Type: checkpoint.StepStarted, Step: "login", Attempt: 1, Fingerprint: "f-login"},
		{Type: checkpoint.StepSucceeded, Step: "login", Attempt: 1, Fingerprint: "f-login",
			Outputs: map[string]any{"token": "***"}, Redacted: map[string]string{"token": "redacted:d1"}},
		{Type: checkpoint.StepStarted, Step: "down", Attempt: 1, Fingerprint: "f-down"},
	}
	if err := run.Append(ctx, evs); err != nil {
		t.Fatal(err)
	}
	run.Close()
	sum := h.resume(ctx, "r", func(o *runner.Options) {
		o.Resolve = plan.Resolve
		o.Fingerprint = func(s *plan.Step, _ int, _ map[string]any) string { return "f-" + s.ID }
	})
	if sum.Failed != 1 || len(sum.Errors) != 1 || !strings.Contains(sum.Errors[0], "output token of step login held a secret") {
		t.Fatalf("resume: %s %q", sum, sum.Errors)
	}
	if got := h.states("r")["down"]; got != checkpoint.StatusUnknown {
		t.Errorf("down is %s, want still %s", got, checkpoint.StatusUnknown)
	}
	if got := use.tokens(); len(got) != 0 {
		t.Errorf("down ran with %q", got)
	}
}

// TestSecretOutputsOlderState: a state written before outputs named their
// secrets has the token masked but no digest: a step that needs it does
// not run with "***", it fails and says why.
func TestSecretOutputsOlderState(t *testing.T) {
	use := &useKind{}
	h := newHarness(t, use, &fake{name: "login"})
	marker := filepath.Join(t.TempDir(), "ok")
	os.WriteFile(marker, nil, 0o644)
	down := step("down", "use", "login")
	down.With = map[string]any{"token": "${{ steps.login.outputs.token }}", "marker": marker}
	p := &plan.Plan{Steps: []*plan.Step{step("login", "login"), down}}
	ctx := context.Background()
	run, err := h.store.CreateRun(ctx, "r", p)
	if err != nil {
		t.Fatal(err)
	}
	evs := []checkpoint.Event{
		{Type: checkpoint.StepStarted, Step: "login", Attempt: 1, Fingerprint: "f-login"},
		{Type: checkpoint.StepSucceeded, Step: "login", Attempt: 1, Fingerprint: "f-login",
			Outputs: map[string]any{"token": "***", "user": "ann"}},
		{Type: checkpoint.StepFailed, Step: "down", Attempt: 1, Fingerprint: "f-down-old", Error: "boom"},
	}
	if err := run.Append(ctx, evs); err != nil {
		t.Fatal(err)
	}
	run.Close()
	sum := h.resume(ctx, "r", func(o *runner.Options) {
		o.Resolve = plan.Resolve
		o.Fingerprint = func(s *plan.Step, _ int, _ map[string]any) string { return "f-" + s.ID }
	})
	if sum.Failed != 1 || len(sum.Errors) != 1 || !strings.Contains(sum.Errors[0], "output token of step login held a secret") {
		t.Fatalf("resume: %s %q", sum, sum.Errors)
	}
	if got := use.tokens(); len(got) != 0 {
		t.Errorf("down ran with %q", got)
	}
}

package runner

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/planrun/planrun/internal/redact"
	"github.com/planrun/planrun/runner/checkpoint"
)

func TestRedactEvent(t *testing.T) {
	red := redact.New("hunter22")
	in := checkpoint.Event{
		Version: 1, Seq: 3, Time: time.Date(2026, 11, 25, 19, 30, 0, 0, time.UTC),
		Type: checkpoint.StepFailed, Step: "login",
		Error:  "exec ssh: password hunter22 rejected",
		Reason: "hunter22",
		Outputs: map[string]any{
			"stdout": "token=hunter22",
			"bytes":  int64(42),
			"nested": map[string]any{"list": []any{"ok", "hunter22!"}},
		},
	}
	got := redactEvent(red, in)
	want := in
	want.Error = "exec ssh: password *** rejected"
	want.Reason = "***"
	want.Outputs = map[string]any{
		"stdout": "token=***",
		"bytes":  int64(42),
		"nested": map[string]any{"list": []any{"ok", "***!"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("redactEvent mismatch (-want +got):\n%s", diff)
	}
	if in.Outputs["stdout"] != "token=hunter22" {
		t.Errorf("redactEvent modified the caller's outputs: %v", in.Outputs["stdout"])
	}
	if diff := cmp.Diff(in, redactEvent(nil, in)); diff != "" {
		t.Errorf("a nil redactor changed the event:\n%s", diff)
	}
}

package view

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/planrun/planrun/runner/checkpoint"
)

func TestSummaryCounts(t *testing.T) {
	ev := func(typ, step, item string, extra ...func(*checkpoint.Event)) checkpoint.Event {
		e := checkpoint.Event{Type: typ, Step: step, Batch: "b", Item: item}
		if item == "" {
			e.Batch = ""
		}
		for _, f := range extra {
			f(&e)
		}
		return e
	}
	reason := func(r string) func(*checkpoint.Event) { return func(e *checkpoint.Event) { e.Reason = r } }
	tests := map[string]struct {
		events []checkpoint.Event
		want   Counts
		line   string
	}{
		"no steps": {nil, Counts{}, "0 steps ok, 0 failed, 0 skipped"},
		"plain run": {
			[]checkpoint.Event{ev("step_started", "a", ""), ev("step_succeeded", "a", ""),
				ev("step_failed", "b", ""), ev("step_skipped", "c", "", reason("upstream b failed"))},
			Counts{Steps: 3, OK: 1, Failed: 1, Skipped: 1},
			"1 step ok, 1 failed, 1 skipped",
		},
		"items ok, failed and unfinished": {
			[]checkpoint.Event{
				ev("step_succeeded", "m1-a", "m1"), ev("step_succeeded", "m1-b", "m1"),
				ev("step_succeeded", "m2-a", "m2"), ev("step_failed", "m2-b", "m2"),
				ev("step_skipped", "m3-a", "m3", reason("upstream prepare failed")),
			},
			Counts{Steps: 5, OK: 3, Failed: 1, Skipped: 1, Items: 3, ItemsOK: 1, ItemsFailed: 1, ItemsNotRun: 1},
			"3 steps ok, 1 failed, 1 skipped\nitems: 1 ok, 1 failed, 1 unfinished",
		},
		"already done counts as ok, also for items": {
			[]checkpoint.Event{
				ev("step_skipped", "m1-a", "m1", reason(checkpoint.ReasonAlreadyDone)),
				ev("step_succeeded", "m1-b", "m1"),
				ev("step_skipped", "m2-a", "m2", reason(checkpoint.ReasonAlreadyDone)),
				ev("step_skipped", "m3-a", "m3", reason("upstream x failed")),
			},
			Counts{Steps: 4, OK: 1, AlreadyDone: 2, Skipped: 1, Items: 3, ItemsOK: 2, ItemsNotRun: 1},
			"3 steps ok (2 already done), 0 failed, 1 skipped\nitems: 2 ok, 0 failed, 1 unfinished",
		},
		"latest event wins (resume)": {
			[]checkpoint.Event{ev("step_failed", "a", ""), ev("step_started", "a", ""), ev("step_succeeded", "a", "")},
			Counts{Steps: 1, OK: 1},
			"1 step ok, 0 failed, 0 skipped",
		},
		"interrupted and unfinished": {
			[]checkpoint.Event{ev("step_interrupted", "a", "m1"), ev("step_started", "b", "")},
			Counts{Steps: 2, Interrupted: 1, Unknown: 1, Items: 1, ItemsNotRun: 1},
			"0 steps ok, 0 failed, 0 skipped, 1 interrupted, 1 unfinished\nitems: 0 ok, 0 failed, 1 unfinished",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s := Summarize(tc.events)
			if diff := cmp.Diff(tc.want, s.Counts()); diff != "" {
				t.Errorf("Counts mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.line, s.Line()); diff != "" {
				t.Errorf("Line mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSummaryMoved(t *testing.T) {
	got := Summarize(runEvents()).Moved()
	want := []Moved{
		{Step: "copy-guest", Kind: "transfer", Host: "old-guest", Path: "work/guest", Files: 4, Bytes: 3 << 20,
			SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
		{Step: "migrate-guest", Kind: "migrate", Host: "local", Zip: "work/guest.zip", Files: -1, Bytes: -1,
			SHA256: "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752"},
		{Step: "m1-ship", Kind: "transfer", Host: "new-guest", Path: "/data/import/m1.zip", Files: 1, Bytes: 2048, SHA256: "abc123abc123abc123"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Moved mismatch (-want +got):\n%s", diff)
	}
}

func TestFormat(t *testing.T) {
	tests := map[string]struct{ got, want string }{
		"bytes small":   {formatBytes(512), "512 B"},
		"bytes KiB":     {formatBytes(1536), "1.5 KiB"},
		"bytes GiB":     {formatBytes(5 << 30), "5.0 GiB"},
		"duration ms":   {formatDuration(45e6), "45ms"},
		"duration s":    {formatDuration(1234e6), "1.2s"},
		"duration m":    {formatDuration(123e9), "2m03s"},
		"duration h":    {formatDuration(3720e9), "1h02m"},
		"one line":      {oneLine("a\nb\r\n c \n"), "a ⏎ b ⏎ c"},
		"label full":    {stepLabel("s", "transfer", "h", "i"), "s (transfer, host h, item i)"},
		"label bare":    {stepLabel("s", "", "", ""), "s"},
		"label no kind": {stepLabel("s", "", "h", ""), "s (host h)"},
		"eta seconds":   {formatETA(6600e6), "7s"},
		"eta minutes":   {formatETA(123e9), "2m03s"},
	}
	for name, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s: got %q, want %q", name, tc.got, tc.want)
		}
	}
}

func TestSummaryRenderCapsMoved(t *testing.T) {
	s := NewSummary()
	for i := range MaxMovedLines + 7 {
		s.Event(checkpoint.Event{Type: checkpoint.StepSucceeded, Step: fmt.Sprintf("s%d", i), Kind: "transfer",
			Outputs: map[string]any{"path": "p", "bytes": 1}})
	}
	var b strings.Builder
	if err := s.Render(&b); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(b.String(), " → "); got != MaxMovedLines {
		t.Errorf("got %d moved lines, want %d", got, MaxMovedLines)
	}
	if !strings.Contains(b.String(), "… and 7 more") {
		t.Errorf("no note about the rest:\n%s", b.String())
	}
}

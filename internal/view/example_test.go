package view_test

import (
	"fmt"
	"os"
	"time"

	"github.com/planrun/planrun/internal/view"
	"github.com/planrun/planrun/runner/checkpoint"
)

func ExampleRenderPlan() {
	p := view.Preview{Name: "party-id-change", Steps: []view.PreviewStep{
		{ID: "copy-guest", Kind: "transfer", Host: "old-guest", Action: view.ActionSkip, Reason: "already done"},
		{ID: "migrate-guest", Kind: "migrate", Host: "local", Needs: []string{"copy-guest"}, Action: view.ActionRun},
	}}
	view.RenderPlan(os.Stdout, "mermaid", p)
	// Output:
	// ---
	// title: party-id-change
	// ---
	// flowchart TD
	//   n0["copy-guest<br/>transfer @ old-guest<br/><i>skip: already done</i>"]
	//   n1["migrate-guest<br/>migrate @ local"]
	//   n0 --> n1
	//   classDef skip fill:#eeeeee,stroke:#999999,color:#777777,stroke-dasharray:5 5
	//   class n0 skip
}

func ExampleLines() {
	t := time.Date(2026, 11, 25, 19, 30, 0, 0, time.UTC)
	l := view.NewLines(os.Stdout)
	l.Event(checkpoint.Event{Time: t, Type: checkpoint.StepStarted, Step: "copy-guest", Kind: "transfer", Host: "old-guest", Attempt: 1})
	l.Event(checkpoint.Event{Time: t.Add(1200 * time.Millisecond), Type: checkpoint.StepSucceeded, Step: "copy-guest", Kind: "transfer", Host: "old-guest", Attempt: 1,
		Outputs: map[string]any{"path": "work/guest", "files": 3, "bytes": 1 << 20}})
	l.Close()
	// Output:
	// 2026-11-25T19:30:00Z step_started copy-guest (transfer, host old-guest) attempt 1
	// 2026-11-25T19:30:01Z step_succeeded copy-guest (transfer, host old-guest) 1.2s
	//
	// 1 step ok, 0 failed, 0 skipped
	// moved:
	//   copy-guest (transfer, host old-guest) → work/guest: 3 files, 1.0 MiB
}

func ExampleSummarize() {
	s := view.Summarize([]checkpoint.Event{
		{Type: checkpoint.StepSucceeded, Step: "m1-ship", Batch: "models", Item: "m1"},
		{Type: checkpoint.StepFailed, Step: "m2-ship", Batch: "models", Item: "m2"},
		{Type: checkpoint.StepSkipped, Step: "m2-import", Batch: "models", Item: "m2", Reason: "upstream m2-ship failed"},
	})
	fmt.Println(s.Line())
	// Output:
	// 1 step ok, 1 failed, 1 skipped
	// items: 1 ok, 1 failed
}

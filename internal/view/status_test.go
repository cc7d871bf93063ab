package view

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

func sampleStatus() Status {
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	return Status{
		Run: "20261125-193000-ab12", Plan: "party-id-change", State: "failed",
		Started: at(0), Finished: at(5.73),
		Steps: []StepStatus{
			{ID: "copy-guest", Kind: "transfer", Host: "old-guest", State: "succeeded", Attempts: 1, Started: at(0), Finished: at(1.2),
				Outputs: map[string]any{"path": "work/guest", "bytes": 3145728, "files": 4, "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}},
			{ID: "m2-ship", Kind: "transfer", Host: "new-guest", Batch: "models", Item: "m2", State: "failed", Attempts: 2, Started: at(1.72), Finished: at(5.72),
				Error: "upload m2.zip to new-guest: permission denied\nsftp: /data/import is read-only"},
			{ID: "m2-import", Kind: "import", Host: "new-guest", Batch: "models", Item: "m2", State: "skipped"},
			{ID: "run-script", Kind: "exec", State: "succeeded", Attempts: 1, Started: at(2), Finished: at(2.5),
				Outputs: map[string]any{"stdout": "line one of a long output that goes on and on and on and on and on\nline two", "ok": true}},
		},
	}
}

func TestRenderStatusGolden(t *testing.T) {
	for name, asJSON := range map[string]bool{"text": false, "json": true} {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := RenderStatus(&buf, sampleStatus(), asJSON); err != nil {
				t.Fatal(err)
			}
			golden(t, "status."+name+".golden", buf.Bytes())
			if asJSON && !json.Valid(buf.Bytes()) {
				t.Errorf("invalid JSON:\n%s", buf.String())
			}
		})
	}
}

func TestRenderStatusJSONStable(t *testing.T) {
	var a, b bytes.Buffer
	RenderStatus(&a, sampleStatus(), true)
	RenderStatus(&b, sampleStatus(), true)
	if a.String() != b.String() {
		t.Error("two renderings of one status differ")
	}
}

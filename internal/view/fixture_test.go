package view

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/planrun/planrun/runner/checkpoint"
)

// Golden files live in testdata/; UPDATE_GOLDEN=1 rewrites them.
var update = os.Getenv("UPDATE_GOLDEN") != ""

var _ = flag.Bool // keep flag imported for -args use in future

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (refresh with UPDATE_GOLDEN=1): %v", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

var t0 = time.Date(2026, 11, 25, 19, 30, 0, 0, time.UTC)

// runEvents is a realistic run: a transfer, a native migration, a batch of
// two items where one item's ship step fails after a retry (its import is
// skipped), and the other item completes.
func runEvents() []checkpoint.Event {
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	var seq int64
	ev := func(ms int, e checkpoint.Event) checkpoint.Event {
		seq++
		e.Version, e.Seq, e.Time, e.Run = checkpoint.EventVersion, seq, at(ms), "20261125-193000-ab12"
		return e
	}
	copyOut := map[string]any{"path": "work/guest", "bytes": int64(3 << 20), "files": 4,
		"sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}
	migOut := map[string]any{"model_id": "arbiter-10000#guest-99#host-10000#model",
		"model_version": "202006171904247702041", "zip": "work/guest.zip",
		"sha256": "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752"}
	return []checkpoint.Event{
		ev(0, checkpoint.Event{Type: checkpoint.RunStarted, Reason: "apply"}),
		ev(5, checkpoint.Event{Type: checkpoint.StepStarted, Step: "copy-guest", Kind: "transfer", Host: "old-guest", Attempt: 1}),
		ev(1205, checkpoint.Event{Type: checkpoint.StepSucceeded, Step: "copy-guest", Kind: "transfer", Host: "old-guest", Attempt: 1, Outputs: copyOut, DurationMS: 1200}),
		ev(1210, checkpoint.Event{Type: checkpoint.StepStarted, Step: "migrate-guest", Kind: "migrate", Host: "local", Attempt: 1}),
		ev(1710, checkpoint.Event{Type: checkpoint.StepSucceeded, Step: "migrate-guest", Kind: "migrate", Host: "local", Attempt: 1, Outputs: migOut}),
		ev(1720, checkpoint.Event{Type: checkpoint.StepStarted, Step: "m1-ship", Kind: "transfer", Host: "new-guest", Batch: "models", Item: "m1", Attempt: 1}),
		ev(1720, checkpoint.Event{Type: checkpoint.StepStarted, Step: "m2-ship", Kind: "transfer", Host: "new-guest", Batch: "models", Item: "m2", Attempt: 1}),
		ev(2720, checkpoint.Event{Type: checkpoint.AttemptFailed, Step: "m2-ship", Kind: "transfer", Host: "new-guest", Batch: "models", Item: "m2", Attempt: 1, Error: "upload m2.zip to new-guest: connection reset"}),
		ev(2900, checkpoint.Event{Type: checkpoint.StepSucceeded, Step: "m1-ship", Kind: "transfer", Host: "new-guest", Batch: "models", Item: "m1", Attempt: 1,
			Outputs: map[string]any{"path": "/data/import/m1.zip", "bytes": 2048, "files": 1, "sha256": "abc123abc123abc123"}}),
		ev(3000, checkpoint.Event{Type: checkpoint.StepStarted, Step: "m1-import", Kind: "import", Host: "new-guest", Batch: "models", Item: "m1", Attempt: 1}),
		ev(4720, checkpoint.Event{Type: checkpoint.StepStarted, Step: "m2-ship", Kind: "transfer", Host: "new-guest", Batch: "models", Item: "m2", Attempt: 2}),
		ev(5000, checkpoint.Event{Type: checkpoint.StepSucceeded, Step: "m1-import", Kind: "import", Host: "new-guest", Batch: "models", Item: "m1", Attempt: 1,
			Outputs: map[string]any{"model_id": "m1", "model_version": "v1", "job_id": "202611251930001"}}),
		ev(5720, checkpoint.Event{Type: checkpoint.StepFailed, Step: "m2-ship", Kind: "transfer", Host: "new-guest", Batch: "models", Item: "m2", Attempt: 2,
			Error: "upload m2.zip to new-guest: permission denied\nsftp: /data/import is read-only"}),
		ev(5721, checkpoint.Event{Type: checkpoint.StepSkipped, Step: "m2-import", Kind: "import", Host: "new-guest", Batch: "models", Item: "m2", Reason: "upstream m2-ship failed"}),
		ev(5730, checkpoint.Event{Type: checkpoint.RunFinished, Status: "failed", DurationMS: 5730, Reason: "4 steps ok, 1 failed, 1 skipped; items: 1 ok, 1 failed"}),
	}
}

package checkpoint

import (
	"encoding/json"
	"time"
)

// EventVersion is the version of the event record format (events.jsonl and
// the NDJSON stream of `planrun apply --output json`).
const EventVersion = 1

// Event types. Every state change of a step is one event.
const (
	RunStarted      = "run_started"      // a run (apply or resume) began; Step is ""
	RunFinished     = "run_finished"     // the run ended; Status is ok|failed|interrupted
	StepStarted     = "step_started"     // an attempt began
	AttemptFailed   = "attempt_failed"   // an attempt failed and will be retried
	StepSucceeded   = "step_succeeded"   // Outputs are set
	StepFailed      = "step_failed"      // final failure; Error is set
	StepSkipped     = "step_skipped"     // not run: Reason says why (upstream failed, already done, ...)
	StepInterrupted = "step_interrupted" // cancelled by a signal
)

// Event is one state change. It is what the checkpoint records (one JSON
// object per line of events.jsonl) and what observers (live view, NDJSON
// output, JUnit) receive.
type Event struct {
	Version     int            `json:"version"`
	Seq         int64          `json:"seq"`
	Time        time.Time      `json:"time"`
	Run         string         `json:"run"`
	Type        string         `json:"type"`
	Step        string         `json:"step,omitempty"`
	Kind        string         `json:"kind,omitempty"`
	Host        string         `json:"host,omitempty"`  // host the step works on, when known
	Batch       string         `json:"batch,omitempty"` // batch block the step belongs to
	Item        string         `json:"item,omitempty"`  // batch item key
	Attempt     int            `json:"attempt,omitempty"`
	Fingerprint string         `json:"fingerprint,omitempty"`
	Outputs     map[string]any `json:"outputs,omitempty"`
	// Redacted names the Outputs that held a secret and are recorded
	// masked, each with a digest of its value that stands for it in the
	// fingerprints of the steps that use it (it gives no secret away: a
	// guess costs an scrypt). A later run has these outputs' names and
	// digests, not their values. Absent from events of older planruns.
	Redacted   map[string]string `json:"redacted,omitempty"`
	Error      string            `json:"error,omitempty"`
	Reason     string            `json:"reason,omitempty"`
	Status     string            `json:"status,omitempty"`      // run_finished: the run's; step_skipped: the state the step keeps (succeeded, unknown)
	DurationMS int64             `json:"duration_ms,omitempty"` // whole milliseconds (truncated)
	// DurationUS is the same duration in microseconds, precise enough to
	// sum over thousands of short steps (bench/batch.sh does).
	DurationUS int64 `json:"duration_us,omitempty"`
}

// MarshalJSON writes e as its fields say, except that a timed event
// (duration_us set) always has duration_ms, 0 included: a consumer that
// reads duration_ms from every run_finished finds it in one that took
// under a millisecond too.
func (e Event) MarshalJSON() ([]byte, error) {
	type plain Event
	if e.DurationMS != 0 || e.DurationUS == 0 {
		return json.Marshal(plain(e))
	}
	return json.Marshal(struct {
		plain
		DurationMS int64 `json:"duration_ms"`
	}{plain(e), 0})
}

package view

import (
	"encoding/json"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/planrun/planrun/runner/checkpoint"
)

// JSONProgressEvery is how often JSON emits a progress object for a step
// that keeps reporting byte progress.
const JSONProgressEvery = time.Second

// ProgressType is the "type" of the progress objects in the NDJSON stream.
const ProgressType = "progress"

// ProgressEvent is the NDJSON object for byte progress of a running step:
//
//	{"version":1,"type":"progress","time":"2026-11-25T19:30:01.5Z","run":"20261125T193000Z","step":"copy-guest","done":1048576,"total":4194304}
//
// Total is 0 when the step has not announced one. A step gets at most one
// progress object every JSONProgressEvery, counted from its start, so
// short steps have none. Consumers must ignore types they do not know.
type ProgressEvent struct {
	Version int       `json:"version"`
	Type    string    `json:"type"`
	Time    time.Time `json:"time"`
	Run     string    `json:"run,omitempty"`
	Step    string    `json:"step"`
	Done    int64     `json:"done"`
	Total   int64     `json:"total"`
}

// JSON writes NDJSON: one checkpoint.Event object per line, exactly as
// recorded in events.jsonl (with its "version" field, checkpoint.EventVersion),
// interleaved with throttled ProgressEvent objects.
type JSON struct {
	mu    sync.Mutex
	enc   *json.Encoder
	now   func() time.Time
	steps tracker
	run   atomic.Value // string: the run id from run_started
}

// NewJSON returns a JSON writing to w.
func NewJSON(w io.Writer) *JSON {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return &JSON{enc: enc, now: time.Now}
}

// Event writes e as one JSON line.
func (j *JSON) Event(e checkpoint.Event) {
	if e.Version == 0 {
		e.Version = checkpoint.EventVersion
	}
	switch e.Type {
	case checkpoint.RunStarted:
		j.run.Store(e.Run)
	case checkpoint.StepStarted:
		j.steps.start(e, j.now())
	case checkpoint.StepSucceeded, checkpoint.StepFailed, checkpoint.StepSkipped, checkpoint.StepInterrupted:
		j.steps.finish(e.Step)
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.enc.Encode(e)
}

// Progress writes a ProgressEvent at most every JSONProgressEvery per step.
func (j *JSON) Progress(step string, done, total int64) {
	r, ok := j.steps.update(step, done, total)
	if !ok {
		return
	}
	now := j.now()
	if !r.due(now, JSONProgressEvery) {
		return
	}
	run, _ := j.run.Load().(string)
	j.mu.Lock()
	defer j.mu.Unlock()
	j.enc.Encode(ProgressEvent{Version: checkpoint.EventVersion, Type: ProgressType,
		Time: now.UTC(), Run: run, Step: step, Done: done, Total: total})
}

// Close does nothing: every line is already written.
func (j *JSON) Close() error { return nil }

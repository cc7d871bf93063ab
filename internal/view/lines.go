package view

import (
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/planrun/planrun/runner/checkpoint"
)

// LinesProgressEvery is how often Lines prints a progress line for a step
// that keeps reporting byte progress.
const LinesProgressEvery = 10 * time.Second

// Lines writes exactly one line per state change, for logs and CI (any
// output that is not a terminal). The format is stable:
//
//	2026-11-25T19:30:00Z run_started run 20261125-193000-ab12: apply
//	2026-11-25T19:30:00Z step_started copy-guest (transfer, host old-guest) attempt 1
//	2026-11-25T19:30:10Z progress copy-guest 12.0 MiB / 40.0 MiB 30%
//	2026-11-25T19:30:12Z step_succeeded copy-guest (transfer, host old-guest) 12.0s
//	2026-11-25T19:30:13Z attempt_failed ship-guest (transfer, host new-guest) attempt 1: <error>
//	2026-11-25T19:30:20Z step_failed ship-guest (transfer, host new-guest) attempt 3 7.1s: <error>
//	2026-11-25T19:30:20Z step_skipped import-guest (import, host new-guest): <reason>
//	2026-11-25T19:30:20Z step_interrupted copy-host (transfer, host old-host) attempt 1 3.0s
//	2026-11-25T19:30:20Z run_finished run 20261125-193000-ab12 failed 20.0s: <summary>
//
// Multi-line errors are folded onto the line with " ⏎ ". A step that keeps
// reporting byte progress gets a progress line at most every
// LinesProgressEvery. Close prints the summary.
type Lines struct {
	w       io.Writer
	now     func() time.Time
	mu      sync.Mutex
	buf     []byte
	steps   tracker
	summary *Summary
}

// NewLines returns a Lines writing to w.
func NewLines(w io.Writer) *Lines {
	return &Lines{w: w, now: time.Now, summary: NewSummary()}
}

// Carry counts e, a success kept from the run resumed, in the summary.
func (l *Lines) Carry(e checkpoint.Event) { l.summary.Event(e) }

// LeftOut counts the steps --only left out, in the summary.
func (l *Lines) LeftOut(n int) { l.summary.SetLeftOut(n) }

// Event writes the line for e.
func (l *Lines) Event(e checkpoint.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.summary.Event(e)
	var r *running
	switch e.Type {
	case checkpoint.StepStarted:
		r = l.steps.start(e, l.now())
	case checkpoint.StepSucceeded, checkpoint.StepFailed, checkpoint.StepSkipped, checkpoint.StepInterrupted:
		r, _ = l.steps.finish(e.Step)
	}
	l.buf = appendLine(l.buf[:0], e, r)
	l.w.Write(l.buf)
}

// appendLine formats one event as one line (with its newline).
func appendLine(b []byte, e checkpoint.Event, r *running) []byte {
	b = append(b, timestamp(e.Time)...)
	b = append(b, ' ')
	b = append(b, e.Type...)
	b = append(b, ' ')
	switch e.Type {
	case checkpoint.RunStarted:
		b = append(b, "run "...)
		b = append(b, e.Run...)
	case checkpoint.RunFinished:
		b = append(b, "run "...)
		b = append(b, e.Run...)
		if e.Status != "" {
			b = append(b, ' ')
			b = append(b, e.Status...)
		}
		if e.DurationMS > 0 {
			b = append(b, ' ')
			b = append(b, formatDuration(time.Duration(e.DurationMS)*time.Millisecond)...)
		}
	default:
		b = append(b, eventLabel(e)...)
		if e.Attempt > 0 && e.Type != checkpoint.StepSucceeded && e.Type != checkpoint.StepSkipped {
			b = append(b, " attempt "...)
			b = strconv.AppendInt(b, int64(e.Attempt), 10)
		}
		switch e.Type {
		case checkpoint.StepSucceeded, checkpoint.StepFailed, checkpoint.StepInterrupted:
			b = append(b, ' ')
			b = append(b, formatDuration(duration(e, r))...)
		}
	}
	if msg := eventMessage(e); msg != "" {
		b = append(b, ": "...)
		b = append(b, oneLine(msg)...)
	}
	return append(b, '\n')
}

// eventMessage is the error an event carries, or else its reason (why a
// step was skipped or counted done, the command that started a run, the
// summary that ended it).
func eventMessage(e checkpoint.Event) string {
	if e.Error != "" {
		return e.Error
	}
	return e.Reason
}

// Progress prints a progress line for step at most every
// LinesProgressEvery (counted from the step's start).
func (l *Lines) Progress(step string, done, total int64) {
	r, ok := l.steps.update(step, done, total)
	if !ok {
		return
	}
	now := l.now()
	if !r.due(now, LinesProgressEvery) {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b := append(l.buf[:0], timestamp(now)...)
	b = append(b, " progress "...)
	b = append(b, step...)
	b = append(b, ' ')
	b = append(b, formatBytes(done)...)
	if total > 0 {
		b = append(b, " / "...)
		b = append(b, formatBytes(total)...)
		b = append(b, ' ')
		b = strconv.AppendInt(b, int64(percent(done, total)), 10)
		b = append(b, '%')
	}
	l.buf = append(b, '\n')
	l.w.Write(l.buf)
}

// Close prints the summary.
func (l *Lines) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.summary.Render(l.w)
}

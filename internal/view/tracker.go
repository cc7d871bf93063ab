package view

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/planrun/planrun/runner/checkpoint"
)

// running is what the views know about one running step. Progress updates
// its counters with atomics only, so the hot path takes no lock and does
// not allocate.
type running struct {
	id, kind, host, item string
	attempt              atomic.Int64
	seen                 time.Time // wall clock when step_started arrived
	started              time.Time // e.Time of the first step_started
	done, total          atomic.Int64
	progressed           atomic.Bool
	firstProgress        atomic.Int64 // UnixNano of the first progress report
	lastReport           atomic.Int64 // UnixNano of the last progress line/event
}

// tracker maps running step ids to their state, for lock-free lookups
// from Progress.
type tracker struct {
	m sync.Map // string → *running
}

// start records a step_started event and returns the step's state (kept
// across attempts: its first start time stays).
func (t *tracker) start(e checkpoint.Event, now time.Time) *running {
	if v, ok := t.m.Load(e.Step); ok {
		r := v.(*running)
		r.attempt.Store(int64(e.Attempt))
		return r
	}
	r := &running{id: e.Step, kind: e.Kind, host: e.Host, item: e.Item, seen: now, started: e.Time}
	r.attempt.Store(int64(e.Attempt))
	r.lastReport.Store(now.UnixNano())
	t.m.Store(e.Step, r)
	return r
}

// get returns a running step's state.
func (t *tracker) get(step string) (*running, bool) {
	v, ok := t.m.Load(step)
	if !ok {
		return nil, false
	}
	return v.(*running), true
}

// finish forgets a step and returns what was known about it.
func (t *tracker) finish(step string) (*running, bool) {
	v, ok := t.m.LoadAndDelete(step)
	if !ok {
		return nil, false
	}
	return v.(*running), true
}

// update stores a progress report; it reports false for unknown steps.
func (t *tracker) update(step string, done, total int64) (*running, bool) {
	r, ok := t.get(step)
	if !ok {
		return nil, false
	}
	r.done.Store(done)
	r.total.Store(total)
	if !r.progressed.Load() && r.firstProgress.CompareAndSwap(0, time.Now().UnixNano()) {
		r.progressed.Store(true)
	}
	return r, true
}

// due reports whether a progress report for r should be emitted now, at
// most once per every: the caller that wins the compare-and-swap emits.
func (r *running) due(now time.Time, every time.Duration) bool {
	last := r.lastReport.Load()
	n := now.UnixNano()
	if n-last < int64(every) {
		return false
	}
	return r.lastReport.CompareAndSwap(last, n)
}

// duration is how long a finished step took: the event's DurationMS when
// the runner set it, else from its first start to the event's time.
func duration(e checkpoint.Event, r *running) time.Duration {
	if e.DurationMS > 0 {
		return time.Duration(e.DurationMS) * time.Millisecond
	}
	if r != nil && !r.started.IsZero() && !e.Time.IsZero() {
		return e.Time.Sub(r.started)
	}
	return 0
}

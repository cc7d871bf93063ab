package hosts

import (
	"context"
	"sync"
	"time"
)

// rateLimit is a Progress that also paces the bytes reported to it: Add
// returns once the copy's file content as a whole is within its rate
// (the bytes counted so far, at most limitBurst ahead of it), so a copy
// with many files in flight still moves rate bytes a second in all.
// The copy's context ends the wait.
type rateLimit struct {
	Progress
	ctx  context.Context
	rate float64 // bytes per second

	mu   sync.Mutex
	next time.Time // when the bytes reserved so far are due
}

// limitBurst is how far ahead of the rate a copy may run.
const limitBurst = 100 * time.Millisecond

// Paced returns a Progress that passes what it is told on to p (nil: none)
// and whose Add returns once the bytes added so far are within
// bytesPerSecond (p itself when bytesPerSecond is 0): what Copy reports
// its file content to, and what byte streams outside Copy that report
// their progress as they go (an HTTP upload) can. ctx ends the waits.
func Paced(ctx context.Context, p Progress, bytesPerSecond int64) Progress {
	if p == nil {
		p = nopProgress{}
	}
	if bytesPerSecond <= 0 {
		return p
	}
	return &rateLimit{Progress: p, ctx: ctx, rate: float64(bytesPerSecond)}
}

func (l *rateLimit) Add(n int64) {
	l.Progress.Add(n)
	l.mu.Lock()
	now := time.Now()
	if earliest := now.Add(-limitBurst); l.next.Before(earliest) {
		l.next = earliest
	}
	l.next = l.next.Add(time.Duration(float64(n) / l.rate * float64(time.Second)))
	wait := l.next.Sub(now)
	l.mu.Unlock()
	if wait <= 0 {
		return
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
	case <-l.ctx.Done():
	}
}

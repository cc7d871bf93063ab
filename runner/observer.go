package runner

import (
	"sync"

	"github.com/planrun/planrun/runner/checkpoint"
)

// Observer watches a run: the live view, plain lines, NDJSON, JUnit.
type Observer interface {
	// Event receives every state change after it is durably recorded. Calls
	// come from one goroutine, in the order of the events' Seq.
	Event(e checkpoint.Event)
	// Progress receives byte progress a step reports through
	// steps.Env.Progress. Calls come from the steps' goroutines.
	Progress(step string, done, total int64)
}

// Nop is an Observer that ignores everything.
type Nop struct{}

func (Nop) Event(checkpoint.Event)        {}
func (Nop) Progress(string, int64, int64) {}

// stepProgress adapts steps.Progress to an Observer for one step.
type stepProgress struct {
	step string
	obs  Observer

	mu          sync.Mutex
	done, total int64
}

func (p *stepProgress) SetTotal(n int64) {
	p.mu.Lock()
	p.total = n
	d := p.done
	p.mu.Unlock()
	p.obs.Progress(p.step, d, n)
}

func (p *stepProgress) Add(n int64) {
	p.mu.Lock()
	p.done += n
	d, t := p.done, p.total
	p.mu.Unlock()
	p.obs.Progress(p.step, d, t)
}

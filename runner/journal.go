package runner

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/planrun/planrun/internal/redact"
	"github.com/planrun/planrun/runner/checkpoint"
)

// journal records events with group commit: events that arrive while a
// write is in flight are appended together by the next write. record
// returns once its events are durable. A write starts as soon as one
// request is waiting: there is no window to gather more.
//
// recordLater hands over events that need not be durable yet: they ride
// ahead of the next write's own events. A step's success is recorded that
// way so that it shares its fsync with the started event of the dependent
// it unblocks: that started event comes later in the file, so once it is
// durable (before the dependent runs) the success is too. await bounds how
// long such events wait for a write to ride with.
//
// Observers get the events from a goroutine of their own, in order, so a
// slow terminal never slows the checkpoint.
type journal struct {
	run     checkpoint.Run
	obs     Observer
	redact  *redact.Redactor
	reqs    chan *journalReq
	stop    chan struct{}
	done    chan struct{}
	obsq    chan []checkpoint.Event
	obsDone chan struct{}

	mu      sync.Mutex
	err     error         // first append failure: every later record fails too
	pending []*journalReq // from recordLater, not yet taken by a write
}

type journalReq struct {
	evs  []checkpoint.Event
	done chan error
}

func newJournal(run checkpoint.Run, obs Observer, red *redact.Redactor) *journal {
	j := &journal{run: run, obs: obs, redact: red, reqs: make(chan *journalReq, 256), stop: make(chan struct{}), done: make(chan struct{}),
		obsq: make(chan []checkpoint.Event, 1024), obsDone: make(chan struct{})}
	go j.loop()
	go j.observe()
	return j
}

// record appends evs durably. It is not cancelled by a run's context: an
// interrupted step must still be recorded.
func (j *journal) record(evs ...checkpoint.Event) error {
	for i := range evs {
		evs[i] = j.redact.Event(evs[i])
	}
	r := &journalReq{evs: evs, done: make(chan error, 1)}
	select {
	case j.reqs <- r:
	case <-j.done:
		return j.failure()
	}
	return <-r.done
}

// recordLater queues evs to be appended ahead of the next write's own
// events, without starting a write. await returns once they are durable.
func (j *journal) recordLater(evs ...checkpoint.Event) *journalReq {
	for i := range evs {
		evs[i] = j.redact.Event(evs[i])
	}
	r := &journalReq{evs: evs, done: make(chan error, 1)}
	j.mu.Lock()
	j.pending = append(j.pending, r)
	j.mu.Unlock()
	return r
}

// await waits until the events of r (from recordLater) are durable. If no
// write has taken them within linger, it starts one itself.
func (j *journal) await(r *journalReq, linger time.Duration) error {
	if linger > 0 {
		t := time.NewTimer(linger)
		select {
		case err := <-r.done:
			t.Stop()
			return err
		case <-t.C:
		}
	}
	// An empty request: its write takes every pending event, r's included.
	if err := j.record(); err != nil {
		return err
	}
	select {
	case err := <-r.done:
		return err
	default: // cannot happen: the write answers pending requests first
		return errors.New("record event: lost by the journal")
	}
}

func (j *journal) failure() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.err
}

// close stops the journal once every observer call is made.
func (j *journal) close() {
	close(j.stop)
	<-j.done
	close(j.obsq)
	<-j.obsDone
}

func (j *journal) observe() {
	defer close(j.obsDone)
	for evs := range j.obsq {
		for _, e := range evs {
			j.obs.Event(e)
		}
	}
}

func (j *journal) loop() {
	defer close(j.done)
	var batch []*journalReq
	for {
		batch = batch[:0]
		var evs []checkpoint.Event // handed to the observer goroutine
		select {
		case r := <-j.reqs:
			batch = append(batch, r)
		case <-j.stop:
			return
		}
	drain:
		for {
			select {
			case r := <-j.reqs:
				batch = append(batch, r)
			default:
				break drain
			}
		}
		j.mu.Lock()
		later := j.pending
		j.pending = nil
		err := j.err
		j.mu.Unlock()
		for _, r := range later {
			evs = append(evs, r.evs...)
		}
		for _, r := range batch {
			evs = append(evs, r.evs...)
		}
		if err == nil && len(evs) > 0 {
			err = j.run.Append(context.Background(), evs)
			if err != nil {
				j.mu.Lock()
				j.err = err
				j.mu.Unlock()
			} else {
				j.obsq <- evs
			}
		}
		for _, r := range later {
			r.done <- err
		}
		for _, r := range batch {
			r.done <- err
		}
	}
}

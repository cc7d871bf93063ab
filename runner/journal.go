package runner

import (
	"context"
	"sync"

	"github.com/planrun/planrun/internal/redact"
	"github.com/planrun/planrun/runner/checkpoint"
)

// journal records events with group commit: events that arrive while a
// write is in flight are appended together by the next write. record
// returns once its events are durable. Observers get the events from a
// goroutine of their own, in order, so a slow terminal never slows the
// checkpoint.
type journal struct {
	run     checkpoint.Run
	obs     Observer
	redact  *redact.Redactor
	reqs    chan *journalReq
	stop    chan struct{}
	done    chan struct{}
	obsq    chan []checkpoint.Event
	obsDone chan struct{}

	mu  sync.Mutex
	err error // first append failure: every later record fails too
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
		for _, r := range batch {
			evs = append(evs, r.evs...)
		}
		err := j.failure()
		if err == nil {
			err = j.run.Append(context.Background(), evs)
			if err != nil {
				j.mu.Lock()
				j.err = err
				j.mu.Unlock()
			}
		}
		if err == nil {
			j.obsq <- evs
		}
		for _, r := range batch {
			r.done <- err
		}
	}
}

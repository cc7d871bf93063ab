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
// write is in flight are appended together by the next write. A write
// starts as soon as one request is waiting: there is no window to gather
// more.
//
// record returns once its events are durable (written and fsync'd, with
// everything before them). write returns once they are written: in the
// file, and kept if the process dies, but durable only with the next
// record, or within syncWithin, when a background fsync runs. A step that
// is safe to run again writes its started event that way: if the machine
// crashes before the fsync, resume runs it again, which is harmless; a
// step that is not safe to re-run records its start durably before it
// runs, so resume always knows it may have taken effect.
//
// recordLater hands over events that need not be written yet: they ride
// ahead of the next write's own events. A step's success is recorded that
// way so that it shares its write with the started event of the dependent
// it unblocks: that started event comes later in the file, so once it is
// durable (before a dependent that is not safe to re-run runs) the success
// is too. await bounds how long such events wait for a write to ride with.
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

	kick     chan struct{} // a write is waiting for its fsync
	syncStop chan struct{}
	syncDone chan struct{}

	mu      sync.Mutex
	err     error         // first append failure: every later record fails too
	pending []*journalReq // from recordLater, not yet taken by a write
}

type journalReq struct {
	evs     []checkpoint.Event
	durable bool
	done    chan error
}

// syncWithin bounds how long written events wait for their fsync.
const syncWithin = 10 * time.Millisecond

func newJournal(run checkpoint.Run, obs Observer, red *redact.Redactor) *journal {
	j := &journal{run: run, obs: obs, redact: red, reqs: make(chan *journalReq, 256), stop: make(chan struct{}), done: make(chan struct{}),
		obsq: make(chan []checkpoint.Event, 1024), obsDone: make(chan struct{}),
		kick: make(chan struct{}, 1), syncStop: make(chan struct{}), syncDone: make(chan struct{})}
	go j.loop()
	go j.observe()
	go j.syncLoop()
	return j
}

// record appends evs durably. It is not cancelled by a run's context: an
// interrupted step must still be recorded. With no events, it makes what
// was written before durable.
func (j *journal) record(evs ...checkpoint.Event) error { return j.submit(evs, true) }

// write appends evs without waiting for them to be durable (see journal).
func (j *journal) write(evs ...checkpoint.Event) error { return j.submit(evs, false) }

func (j *journal) submit(evs []checkpoint.Event, durable bool) error {
	r := j.request(evs, durable)
	select {
	case j.reqs <- r:
	case <-j.done:
		return j.failure()
	}
	return <-r.done
}

// request redacts evs and wraps them for the loop.
func (j *journal) request(evs []checkpoint.Event, durable bool) *journalReq {
	for i := range evs {
		evs[i] = redactEvent(j.redact, evs[i])
	}
	return &journalReq{evs: evs, durable: durable, done: make(chan error, 1)}
}

// recordLater queues evs to be appended ahead of the next write's own
// events, without starting a write. await returns once they are written.
func (j *journal) recordLater(evs ...checkpoint.Event) *journalReq {
	r := j.request(evs, false)
	j.mu.Lock()
	j.pending = append(j.pending, r)
	j.mu.Unlock()
	return r
}

// await waits until the events of r (from recordLater) are written. If no
// write has taken them within linger, it writes them itself.
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
	if err := j.write(); err != nil {
		return err
	}
	select {
	case err := <-r.done:
		return err
	default: // cannot happen: the write answers pending requests first
		return errors.New("record event: lost by the journal")
	}
}

func (j *journal) setFailure(err error) {
	j.mu.Lock()
	if j.err == nil {
		j.err = err
	}
	j.mu.Unlock()
}

func (j *journal) failure() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.err
}

// close stops the journal once every observer call is made and what was
// written is durable.
func (j *journal) close() {
	close(j.stop)
	<-j.done
	close(j.syncStop)
	<-j.syncDone
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
		durable := false
		for _, r := range batch {
			evs = append(evs, r.evs...)
			durable = durable || r.durable
		}
		switch {
		case err != nil:
		case len(evs) > 0 && durable:
			err = j.run.Append(context.Background(), evs)
		case len(evs) > 0:
			if err = j.run.Write(context.Background(), evs); err == nil {
				select {
				case j.kick <- struct{}{}:
				default: // an fsync is already due
				}
			}
		case durable: // make earlier writes durable
			err = j.run.Sync(context.Background())
		}
		if err != nil {
			j.setFailure(err)
		} else if len(evs) > 0 {
			j.obsq <- evs
		}
		for _, r := range later {
			r.done <- err
		}
		for _, r := range batch {
			r.done <- err
		}
	}
}

// syncLoop fsyncs written events within syncWithin of their write, and
// once more when the journal closes if a write is still waiting.
func (j *journal) syncLoop() {
	defer close(j.syncDone)
	for {
		select {
		case <-j.kick:
		case <-j.syncStop:
			select {
			case <-j.kick:
				j.sync()
			default:
			}
			return
		}
		t := time.NewTimer(syncWithin)
		select {
		case <-t.C:
		case <-j.syncStop:
			t.Stop()
		}
		j.sync()
	}
}

func (j *journal) sync() {
	if j.failure() != nil {
		return
	}
	if err := j.run.Sync(context.Background()); err != nil {
		j.setFailure(err)
	}
}

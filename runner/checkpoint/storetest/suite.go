package storetest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/planrun/planrun/plan"
	"github.com/planrun/planrun/runner/checkpoint"
)

// Factory makes an empty store for one test, and a function that opens the
// same state again (as a new process would).
type Factory func(t *testing.T) (s checkpoint.Store, reopen func() checkpoint.Store)

// Run runs the conformance suite against the stores that newStore makes.
func Run(t *testing.T, newStore Factory) {
	tests := map[string]func(t *testing.T, s checkpoint.Store, reopen func() checkpoint.Store){
		"plan round trip":            testPlanRoundTrip,
		"append numbers events":      testAppendSeq,
		"reopen continues numbering": testReopen,
		"duplicate run":              testDuplicateRun,
		"runs sorted and latest":     testRuns,
		"unknown run":                testUnknownRun,
		"lock excludes":              testLock,
		"logs":                       testLogs,
		"set plan":                   testSetPlan,
		"concurrent appends":         testConcurrentAppends,
		"write then sync":            testWriteSync,
		"sync during writes":         testSyncDuringWrites,
		"fold":                       testFold,
	}
	for name, fn := range tests {
		t.Run(name, func(t *testing.T) {
			s, reopen := newStore(t)
			fn(t, s, reopen)
		})
	}
}

// Plan is a small plan used by the suite.
func Plan() *plan.Plan {
	p := &plan.Plan{
		Version: 1,
		Name:    "suite",
		Vars:    map[string]string{"v": "1"},
		Limits:  map[string]int{"pool": 2},
		Steps: []*plan.Step{
			{ID: "a", Kind: "instant", With: map[string]any{"n": 1.0}, Retry: plan.Retry{Attempts: 1}, Pos: plan.Pos{File: "p.yaml", Line: 3, Col: 5}},
			{ID: "b", Kind: "instant", Needs: []string{"a"}, Limits: []string{"pool"}, Retry: plan.Retry{Attempts: 3, Backoff: plan.Duration(time.Second)}, Timeout: plan.Duration(time.Minute)},
		},
	}
	p.Hash = p.ComputeHash()
	return p
}

func ev(typ, step string, attempt int) checkpoint.Event {
	return checkpoint.Event{Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Type: typ, Step: step, Attempt: attempt}
}

func testPlanRoundTrip(t *testing.T, s checkpoint.Store, reopen func() checkpoint.Store) {
	ctx := context.Background()
	r, err := s.CreateRun(ctx, "r1", Plan())
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	d, err := reopen().LoadRun(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Plan(), d.Plan); diff != "" {
		t.Errorf("plan changed (-want +got):\n%s", diff)
	}
	if len(d.Events) != 0 {
		t.Errorf("new run has %d events", len(d.Events))
	}
}

func testAppendSeq(t *testing.T, s checkpoint.Store, reopen func() checkpoint.Store) {
	ctx := context.Background()
	r, err := s.CreateRun(ctx, "r1", Plan())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	evs := []checkpoint.Event{ev(checkpoint.StepStarted, "a", 1), ev(checkpoint.StepSucceeded, "a", 1)}
	evs[1].Outputs = map[string]any{"path": "/x", "bytes": 3.0}
	if err := r.Append(ctx, evs); err != nil {
		t.Fatal(err)
	}
	if err := r.Append(ctx, []checkpoint.Event{ev(checkpoint.StepStarted, "b", 1)}); err != nil {
		t.Fatal(err)
	}
	if evs[0].Seq != 1 || evs[1].Seq != 2 {
		t.Errorf("seqs = %d, %d; want 1, 2", evs[0].Seq, evs[1].Seq)
	}
	d, err := reopen().LoadRun(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	want := []checkpoint.Event{evs[0], evs[1], ev(checkpoint.StepStarted, "b", 1)}
	want[2].Seq = 3
	for i := range want {
		want[i].Version, want[i].Run = checkpoint.EventVersion, "r1"
	}
	if diff := cmp.Diff(want, d.Events); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

func testReopen(t *testing.T, s checkpoint.Store, reopen func() checkpoint.Store) {
	ctx := context.Background()
	r, err := s.CreateRun(ctx, "r1", Plan())
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Append(ctx, []checkpoint.Event{ev(checkpoint.StepStarted, "a", 1)}); err != nil {
		t.Fatal(err)
	}
	r.Close()
	s2 := reopen()
	r2, err := s2.OpenRun(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	e := []checkpoint.Event{ev(checkpoint.StepSucceeded, "a", 1)}
	if err := r2.Append(ctx, e); err != nil {
		t.Fatal(err)
	}
	if e[0].Seq != 2 {
		t.Errorf("seq after reopen = %d, want 2", e[0].Seq)
	}
	d, err := s2.LoadRun(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Events) != 2 {
		t.Fatalf("got %d events, want 2", len(d.Events))
	}
}

func testDuplicateRun(t *testing.T, s checkpoint.Store, _ func() checkpoint.Store) {
	ctx := context.Background()
	r, err := s.CreateRun(ctx, "r1", Plan())
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	if _, err := s.CreateRun(ctx, "r1", Plan()); err == nil {
		t.Error("creating an existing run succeeded")
	}
	if _, err := s.CreateRun(ctx, "../x", Plan()); err == nil {
		t.Error("creating a run with a path in its id succeeded")
	}
}

func testRuns(t *testing.T, s checkpoint.Store, reopen func() checkpoint.Store) {
	ctx := context.Background()
	if _, err := checkpoint.Latest(ctx, s); !errors.Is(err, checkpoint.ErrNoRuns) {
		t.Errorf("Latest of an empty store: err = %v, want ErrNoRuns", err)
	}
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	ids := []string{checkpoint.NewRunID(t0.Add(time.Hour)), checkpoint.NewRunID(t0), checkpoint.NewRunID(t0.Add(time.Microsecond))}
	for _, id := range ids {
		r, err := s.CreateRun(ctx, id, Plan())
		if err != nil {
			t.Fatal(err)
		}
		r.Close()
	}
	got, err := reopen().Runs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{ids[1], ids[2], ids[0]}, got); diff != "" {
		t.Errorf("runs (-want +got):\n%s", diff)
	}
	latest, err := checkpoint.Latest(ctx, s)
	if err != nil || latest != ids[0] {
		t.Errorf("Latest = %q, %v; want %q", latest, err, ids[0])
	}
}

func testUnknownRun(t *testing.T, s checkpoint.Store, _ func() checkpoint.Store) {
	ctx := context.Background()
	if _, err := s.LoadRun(ctx, "nope"); !errors.Is(err, checkpoint.ErrRunNotFound) {
		t.Errorf("LoadRun: err = %v, want ErrRunNotFound", err)
	}
	if _, err := s.OpenRun(ctx, "nope"); !errors.Is(err, checkpoint.ErrRunNotFound) {
		t.Errorf("OpenRun: err = %v, want ErrRunNotFound", err)
	}
}

func testLock(t *testing.T, s checkpoint.Store, reopen func() checkpoint.Store) {
	ctx := context.Background()
	h := checkpoint.Holder{PID: 42, Host: "box", User: "ann", Started: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Command: "planrun apply p.yaml"}
	u, err := s.Lock(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	other := reopen()
	_, err = other.Lock(ctx, checkpoint.Holder{PID: 43})
	var le *checkpoint.LockedError
	if !errors.As(err, &le) {
		t.Fatalf("second Lock: err = %v, want *LockedError", err)
	}
	if diff := cmp.Diff(h, le.Holder); diff != "" {
		t.Errorf("holder (-want +got):\n%s", diff)
	}
	if _, _, err := other.BreakLock(ctx); !errors.As(err, &le) {
		t.Errorf("BreakLock of a live lock: err = %v, want *LockedError", err)
	}
	if err := u.Unlock(); err != nil {
		t.Fatal(err)
	}
	u2, err := other.Lock(ctx, checkpoint.Holder{PID: 43})
	if err != nil {
		t.Fatalf("Lock after Unlock: %v", err)
	}
	u2.Unlock()
	if _, _, err := other.BreakLock(ctx); err != nil {
		t.Errorf("BreakLock of a free lock: %v", err)
	}
}

func testLogs(t *testing.T, s checkpoint.Store, reopen func() checkpoint.Store) {
	ctx := context.Background()
	r, err := s.CreateRun(ctx, "r1", Plan())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	w := r.Log("copy/guest[1]", 2)
	io.WriteString(w, "line 1\n")
	io.WriteString(w, "line 2\n")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := reopen().ReadLog(ctx, "r1", "copy/guest[1]", 2)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "line 1\nline 2\n" {
		t.Errorf("log = %q", got)
	}
	if _, err := s.ReadLog(ctx, "r1", "copy/guest[1]", 1); err == nil {
		t.Error("reading a log never written succeeded")
	}
	// A silent attempt leaves no log.
	r.Log("a", 1).Close()
	if _, err := s.ReadLog(ctx, "r1", "a", 1); err == nil {
		t.Error("an attempt that wrote nothing has a log")
	}
}

func testSetPlan(t *testing.T, s checkpoint.Store, reopen func() checkpoint.Store) {
	ctx := context.Background()
	r, err := s.CreateRun(ctx, "r1", Plan())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	p := Plan()
	p.Steps = p.Steps[:1]
	p.Hash = p.ComputeHash()
	if err := r.SetPlan(ctx, p); err != nil {
		t.Fatal(err)
	}
	d, err := reopen().LoadRun(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p, d.Plan); diff != "" {
		t.Errorf("plan (-want +got):\n%s", diff)
	}
}

func testConcurrentAppends(t *testing.T, s checkpoint.Store, reopen func() checkpoint.Store) {
	ctx := context.Background()
	r, err := s.CreateRun(ctx, "r1", Plan())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	const workers, each = 8, 25
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				e := []checkpoint.Event{ev(checkpoint.StepStarted, fmt.Sprintf("s%d-%d", w, i), 1), ev(checkpoint.StepSucceeded, fmt.Sprintf("s%d-%d", w, i), 1)}
				if err := r.Append(ctx, e); err != nil {
					t.Error(err)
					return
				}
				if e[1].Seq != e[0].Seq+1 {
					t.Errorf("one append got seqs %d, %d", e[0].Seq, e[1].Seq)
				}
			}
		}()
	}
	wg.Wait()
	d, err := reopen().LoadRun(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Events) != workers*each*2 {
		t.Fatalf("got %d events, want %d", len(d.Events), workers*each*2)
	}
	for i, e := range d.Events {
		if e.Seq != int64(i+1) {
			t.Fatalf("event %d has seq %d", i, e.Seq)
		}
		if e.Type == checkpoint.StepSucceeded && (i == 0 || d.Events[i-1].Step != e.Step) {
			t.Fatalf("events of one append were split: %d", i)
		}
	}
}

func testFold(t *testing.T, s checkpoint.Store, reopen func() checkpoint.Store) {
	ctx := context.Background()
	r, err := s.CreateRun(ctx, "r1", Plan())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	evs := []checkpoint.Event{
		ev(checkpoint.StepStarted, "a", 1),
		ev(checkpoint.AttemptFailed, "a", 1),
		ev(checkpoint.StepStarted, "a", 2),
		ev(checkpoint.StepSucceeded, "a", 2),
		ev(checkpoint.StepStarted, "b", 1),
		ev(checkpoint.StepSkipped, "c", 0),
		ev(checkpoint.StepSkipped, "d", 0),
		ev(checkpoint.StepStarted, "e", 1),
		ev(checkpoint.StepFailed, "e", 1),
		// skips after an upstream failed: an earlier planrun's, over an
		// unknown outcome; and this one's, carrying the state kept
		ev(checkpoint.StepStarted, "f", 1),
		ev(checkpoint.StepSkipped, "f", 0),
		ev(checkpoint.StepSkipped, "g", 2),
		ev(checkpoint.StepSkipped, "h", 3),
	}
	evs[10].Reason = "upstream b failed"
	evs[11].Reason, evs[11].Status, evs[11].Fingerprint, evs[11].Outputs = "upstream b failed", checkpoint.StatusSucceeded, "fg", map[string]any{"o": "v"}
	evs[12].Reason, evs[12].Status, evs[12].Fingerprint = "upstream b failed", checkpoint.StatusUnknown, "fh"
	evs[0].Fingerprint, evs[2].Fingerprint, evs[3].Fingerprint = "f1", "f1", "f1"
	evs[1].Redacted = map[string]string{"x": "gone"} // only successes count
	evs[3].Outputs, evs[3].Redacted = map[string]any{"x": "y", "t": "***"}, map[string]string{"t": "redacted:a1"}
	evs[5].Reason = "upstream b failed"
	evs[6].Reason, evs[6].Fingerprint, evs[6].Outputs = checkpoint.ReasonAlreadyDone, "fd", map[string]any{"k": "***"}
	evs[6].Redacted = map[string]string{"k": "redacted:d1"}
	evs[8].Reason, evs[8].Error = checkpoint.ReasonUnknownOutcome, "step e: outcome unknown"
	if err := r.Append(ctx, evs); err != nil {
		t.Fatal(err)
	}
	d, err := reopen().LoadRun(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for id, st := range checkpoint.Fold(d.Events) {
		got[id] = fmt.Sprintf("%s attempt=%d fp=%s out=%v redacted=%v", st.Status, st.Attempt, st.Fingerprint, st.Outputs, st.Redacted)
	}
	want := map[string]string{
		"a": "succeeded attempt=2 fp=f1 out=map[t:*** x:y] redacted=map[t:redacted:a1]",
		"b": "unknown attempt=1 fp= out=map[] redacted=map[]",
		"c": "skipped attempt=0 fp= out=map[] redacted=map[]",
		"d": "succeeded attempt=0 fp=fd out=map[k:***] redacted=map[k:redacted:d1]",
		"e": "unknown attempt=1 fp= out=map[] redacted=map[]",
		"f": "unknown attempt=1 fp= out=map[] redacted=map[]",
		"g": "succeeded attempt=2 fp=fg out=map[o:v] redacted=map[]",
		"h": "unknown attempt=3 fp=fh out=map[] redacted=map[]",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("fold (-want +got):\n%s", diff)
	}
}

// testWriteSync: written events are visible at once (before any sync),
// numbered with the appended ones, and kept across a reopen.
func testWriteSync(t *testing.T, s checkpoint.Store, reopen func() checkpoint.Store) {
	ctx := context.Background()
	r, err := s.CreateRun(ctx, "r1", Plan())
	if err != nil {
		t.Fatal(err)
	}
	w := []checkpoint.Event{ev(checkpoint.StepStarted, "a", 1)}
	if err := r.Write(ctx, w); err != nil {
		t.Fatal(err)
	}
	if w[0].Seq != 1 {
		t.Errorf("written seq = %d, want 1", w[0].Seq)
	}
	d, err := s.LoadRun(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Events) != 1 || d.Events[0].Type != checkpoint.StepStarted {
		t.Fatalf("before sync: events %+v, want the written start", d.Events)
	}
	a := []checkpoint.Event{ev(checkpoint.StepSucceeded, "a", 1)}
	if err := r.Append(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := r.Write(ctx, []checkpoint.Event{ev(checkpoint.StepStarted, "b", 1)}); err != nil {
		t.Fatal(err)
	}
	if err := r.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	r.Close()
	d, err = reopen().LoadRun(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range d.Events {
		got = append(got, fmt.Sprintf("%d %s %s", e.Seq, e.Type, e.Step))
	}
	want := []string{"1 " + checkpoint.StepStarted + " a", "2 " + checkpoint.StepSucceeded + " a", "3 " + checkpoint.StepStarted + " b"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

// testSyncDuringWrites: syncs running alongside writes lose nothing and
// keep the numbering whole.
func testSyncDuringWrites(t *testing.T, s checkpoint.Store, reopen func() checkpoint.Store) {
	ctx := context.Background()
	r, err := s.CreateRun(ctx, "r1", Plan())
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	synced := make(chan error, 1)
	go func() {
		for {
			select {
			case <-stop:
				synced <- nil
				return
			default:
			}
			if err := r.Sync(ctx); err != nil {
				synced <- err
				return
			}
		}
	}()
	const n = 200
	for i := range n {
		e := []checkpoint.Event{ev(checkpoint.StepStarted, fmt.Sprintf("s%03d", i), 1)}
		if i%10 == 9 {
			err = r.Append(ctx, e)
		} else {
			err = r.Write(ctx, e)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	if err := <-synced; err != nil {
		t.Fatal(err)
	}
	r.Close()
	d, err := reopen().LoadRun(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Events) != n {
		t.Fatalf("got %d events, want %d", len(d.Events), n)
	}
	for i, e := range d.Events {
		if e.Seq != int64(i+1) || e.Step != fmt.Sprintf("s%03d", i) {
			t.Fatalf("event %d: seq %d step %s", i, e.Seq, e.Step)
		}
	}
}

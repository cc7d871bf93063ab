package checkpoint

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"sync"

	"github.com/planrun/planrun/plan"
)

// MemStore is a Store in memory, for tests. Plans are copied through JSON
// so that it behaves like a durable store.
type MemStore struct {
	mu     sync.Mutex
	runs   map[string]*memRun
	holder *Holder
}

var _ Store = (*MemStore)(nil)

// NewMem returns an empty in-memory store.
func NewMem() *MemStore { return &MemStore{runs: make(map[string]*memRun)} }

type memRun struct {
	s      *MemStore
	id     string
	plan   []byte
	events []Event
	logs   map[string]*bytes.Buffer
}

type memLock struct {
	s    *MemStore
	once sync.Once
}

func (l *memLock) Unlock() error {
	l.once.Do(func() {
		l.s.mu.Lock()
		l.s.holder = nil
		l.s.mu.Unlock()
	})
	return nil
}

func (s *MemStore) Lock(ctx context.Context, h Holder) (Unlocker, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.holder != nil {
		return nil, &LockedError{Dir: "memory", Holder: *s.holder}
	}
	s.holder = &h
	return &memLock{s: s}, nil
}

// BreakLock: in memory, a lock is only ever held by a live holder.
func (s *MemStore) BreakLock(ctx context.Context) (Holder, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.holder != nil {
		return Holder{}, false, &LockedError{Dir: "memory", Holder: *s.holder}
	}
	return Holder{}, false, nil
}

func (s *MemStore) CreateRun(ctx context.Context, id string, p *plan.Plan) (Run, error) {
	if err := validRunID(id); err != nil {
		return nil, fmt.Errorf("create run: %w", err)
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("create run %s: encode plan: %w", id, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.runs[id]; ok {
		return nil, fmt.Errorf("create run %s: run exists", id)
	}
	r := &memRun{s: s, id: id, plan: b, logs: make(map[string]*bytes.Buffer)}
	s.runs[id] = r
	return r, nil
}

func (s *MemStore) OpenRun(ctx context.Context, id string) (Run, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.runs[id]
	if !ok {
		return nil, fmt.Errorf("open run %s: %w", id, ErrRunNotFound)
	}
	return r, nil
}

func (s *MemStore) LoadRun(ctx context.Context, id string) (*RunData, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.runs[id]
	if !ok {
		return nil, fmt.Errorf("load run %s: %w", id, ErrRunNotFound)
	}
	var p plan.Plan
	if err := json.Unmarshal(r.plan, &p); err != nil {
		return nil, fmt.Errorf("load run %s: %w", id, err)
	}
	return &RunData{ID: id, Plan: &p, Events: append([]Event(nil), r.events...)}, nil
}

func (s *MemStore) Runs(ctx context.Context) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, 0, len(s.runs))
	for id := range s.runs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids, nil
}

func (s *MemStore) ReadLog(ctx context.Context, run, step string, attempt int) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.runs[run]
	if !ok {
		return nil, fmt.Errorf("read log: run %s: %w", run, ErrRunNotFound)
	}
	b, ok := r.logs[LogName(step, attempt)]
	if !ok {
		return nil, fmt.Errorf("read log of step %s attempt %d: no log", step, attempt)
	}
	return append([]byte(nil), b.Bytes()...), nil
}

func (r *memRun) ID() string { return r.id }

func (r *memRun) Append(ctx context.Context, evs []Event) error {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	seq := int64(0)
	if n := len(r.events); n > 0 {
		seq = r.events[n-1].Seq
	}
	stored := make([]Event, len(evs))
	for i := range evs {
		e := evs[i]
		e.Version, e.Run, e.Seq = EventVersion, r.id, seq+int64(i)+1
		// Round-trip like a durable store would.
		b, err := json.Marshal(&e)
		if err != nil {
			return fmt.Errorf("append to run %s: encode %s event of step %s: %w", r.id, e.Type, e.Step, err)
		}
		if err := json.Unmarshal(b, &stored[i]); err != nil {
			return fmt.Errorf("append to run %s: %w", r.id, err)
		}
	}
	for i := range evs {
		evs[i].Version, evs[i].Run, evs[i].Seq = EventVersion, r.id, seq+int64(i)+1
	}
	r.events = append(r.events, stored...)
	return nil
}

// Write is Append: memory has nothing to flush.
func (r *memRun) Write(ctx context.Context, evs []Event) error { return r.Append(ctx, evs) }

func (r *memRun) Sync(ctx context.Context) error { return nil }

func (r *memRun) SetPlan(ctx context.Context, p *plan.Plan) error {
	b, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("replace plan of run %s: %w", r.id, err)
	}
	r.s.mu.Lock()
	r.plan = b
	r.s.mu.Unlock()
	return nil
}

func (r *memRun) Log(step string, attempt int) io.WriteCloser {
	return &memLog{r: r, name: LogName(step, attempt)}
}

func (r *memRun) Close() error { return nil }

type memLog struct {
	r    *memRun
	name string
}

func (l *memLog) Write(p []byte) (int, error) {
	l.r.s.mu.Lock()
	defer l.r.s.mu.Unlock()
	b := l.r.logs[l.name]
	if b == nil {
		b = new(bytes.Buffer)
		l.r.logs[l.name] = b
	}
	return b.Write(p)
}

func (l *memLog) Close() error { return nil }

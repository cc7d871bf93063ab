package checkpoint

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/planrun/planrun/plan"
)

// fileRun appends to runs/<id>/events.jsonl.
type fileRun struct {
	id  string
	dir string

	mu     sync.Mutex
	f      *os.File
	seq    int64
	size   int64
	broken error // a failed write that could not be undone: no more appends
	buf    []byte
}

func (r *fileRun) ID() string { return r.id }

func (r *fileRun) Append(ctx context.Context, evs []Event) error {
	return r.write(evs, true)
}

func (r *fileRun) Write(ctx context.Context, evs []Event) error {
	return r.write(evs, false)
}

// Sync fsyncs the events file. The lock is not held during the fsync, so
// writes go on meanwhile (those that finish first are made durable too).
func (r *fileRun) Sync(ctx context.Context) error {
	r.mu.Lock()
	f, broken := r.f, r.broken
	r.mu.Unlock()
	if broken != nil {
		return fmt.Errorf("sync run %s: %w", r.id, broken)
	}
	if f == nil {
		return fmt.Errorf("sync run %s: run is closed", r.id)
	}
	if err := f.Sync(); err != nil {
		// What was written may or may not be on disk: append no more.
		r.mu.Lock()
		if r.broken == nil {
			r.broken = err
		}
		r.mu.Unlock()
		return fmt.Errorf("sync run %s: %w", r.id, err)
	}
	return nil
}

// write appends evs as whole lines, fsync'd when durable.
func (r *fileRun) write(evs []Event, durable bool) error {
	if len(evs) == 0 {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.broken != nil {
		return fmt.Errorf("append to run %s: %w", r.id, r.broken)
	}
	if r.f == nil {
		return fmt.Errorf("append to run %s: run is closed", r.id)
	}
	buf := r.buf[:0]
	for i := range evs {
		e := &evs[i]
		e.Version, e.Run, e.Seq = EventVersion, r.id, r.seq+int64(i)+1
		b, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("append to run %s: encode %s event of step %s: %w", r.id, e.Type, e.Step, err)
		}
		buf = append(append(buf, b...), '\n')
	}
	r.buf = buf
	n, err := r.f.Write(buf)
	if err == nil && durable {
		err = r.f.Sync()
	}
	if err != nil {
		// Undo a partial write so the file keeps whole lines only.
		if n > 0 {
			if terr := r.f.Truncate(r.size); terr != nil {
				r.broken = errors.Join(err, terr)
			}
		}
		for i := range evs {
			evs[i].Seq = 0
		}
		return fmt.Errorf("append to run %s: %w", r.id, err)
	}
	r.size += int64(n)
	r.seq += int64(len(evs))
	return nil
}

func (r *fileRun) SetPlan(ctx context.Context, p *plan.Plan) error {
	b, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("replace plan of run %s: %w", r.id, err)
	}
	if err := writeFileAtomic(filepath.Join(r.dir, planFile), b); err != nil {
		return fmt.Errorf("replace plan of run %s: %w", r.id, err)
	}
	return nil
}

func (r *fileRun) Log(step string, attempt int) io.WriteCloser {
	return &lazyFile{path: filepath.Join(r.dir, logsDir, LogName(step, attempt))}
}

func (r *fileRun) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f == nil {
		return nil
	}
	err := r.f.Close()
	r.f = nil
	return err
}

// lazyFile creates its file on the first write. It is safe for concurrent
// use (a step abandoned after cancellation may still write).
type lazyFile struct {
	path   string
	mu     sync.Mutex
	f      *os.File
	err    error
	closed bool
}

func (l *lazyFile) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return 0, fmt.Errorf("write log %s: closed", l.path)
	}
	if l.f == nil && l.err == nil {
		if err := os.MkdirAll(filepath.Dir(l.path), dirPerm); err != nil {
			l.err = err
		} else if err := stateDir(filepath.Dir(l.path)); err != nil {
			l.err = err
		} else {
			l.f, l.err = openState(l.path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, filePerm)
		}
	}
	if l.err != nil {
		return 0, fmt.Errorf("write log %s: %w", l.path, l.err)
	}
	return l.f.Write(p)
}

func (l *lazyFile) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	if l.f == nil {
		return nil
	}
	return l.f.Close()
}

// writeFileAtomic writes path via a temp file, fsync and rename, then
// fsyncs the directory: a reader sees the old content or the new, whole.
func writeFileAtomic(path string, b []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

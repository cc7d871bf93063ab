package checkpoint

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// fileLock is a held flock(2) on the state's lock file. The file holds the
// holder as JSON while the lock is held; the kernel releases the lock when
// the process dies, so a leftover holder record is only informative.
type fileLock struct {
	f *os.File
}

func (l *fileLock) Unlock() error {
	if l.f == nil {
		return nil
	}
	// Clear the holder first, then release: the next holder writes its own.
	terr := l.f.Truncate(0)
	uerr := unix.Flock(int(l.f.Fd()), unix.LOCK_UN)
	cerr := l.f.Close()
	l.f = nil
	if err := errors.Join(terr, uerr, cerr); err != nil {
		return fmt.Errorf("unlock state: %w", err)
	}
	return nil
}

func (s *FileStore) Lock(ctx context.Context, h Holder) (Unlocker, error) {
	if err := s.init(); err != nil {
		return nil, err
	}
	f, err := s.tryLock()
	if err != nil {
		return nil, err
	}
	b, _ := json.Marshal(h)
	if err := f.Truncate(0); err == nil {
		_, err = f.WriteAt(append(b, '\n'), 0)
		if err == nil {
			err = f.Sync()
		}
		if err != nil {
			l := &fileLock{f: f}
			l.Unlock()
			return nil, fmt.Errorf("lock state %s: record holder: %w", s.dir, err)
		}
	}
	return &fileLock{f: f}, nil
}

// tryLock takes the flock without blocking, or returns a *LockedError.
func (s *FileStore) tryLock() (*os.File, error) {
	path := filepath.Join(s.dir, lockFile)
	f, err := openState(path, os.O_RDWR|os.O_CREATE, filePerm)
	if err != nil {
		return nil, fmt.Errorf("lock state %s: %w", s.dir, err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			h, _ := s.readHolder()
			return nil, &LockedError{Dir: s.dir, Holder: h}
		}
		return nil, fmt.Errorf("lock state %s: %w", s.dir, err)
	}
	return f, nil
}

func (s *FileStore) readHolder() (Holder, bool) {
	var h Holder
	b, err := readState(filepath.Join(s.dir, lockFile))
	if err != nil || len(b) == 0 || json.Unmarshal(b, &h) != nil {
		return Holder{}, false
	}
	return h, true
}

// BreakLock clears a holder record left by a process that died. A lock
// still held (by a live process) is never broken: that would let two runs
// write one state.
func (s *FileStore) BreakLock(ctx context.Context) (Holder, bool, error) {
	if _, err := os.Lstat(filepath.Join(s.dir, lockFile)); errors.Is(err, fs.ErrNotExist) {
		return Holder{}, false, nil
	}
	f, err := s.tryLock()
	if err != nil {
		return Holder{}, false, err
	}
	h, ok := s.readHolder()
	l := &fileLock{f: f}
	if err := l.Unlock(); err != nil {
		return h, ok, err
	}
	return h, ok, nil
}

// Holder returns the holder recorded in the lock file: the current holder
// while a run holds the lock, or one that died without unlocking.
func (s *FileStore) Holder() (Holder, bool) { return s.readHolder() }

package checkpoint

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/planrun/planrun/plan"
)

// File names inside a state directory.
const (
	formatFile = "format"
	lockFile   = "lock"
	runsDir    = "runs"
	planFile   = "plan.json"
	eventsFile = "events.jsonl"
	logsDir    = "logs"
	workDir    = "work"
)

// Modes of what FileStore creates: events and logs hold what commands
// printed and every step's outputs, so only the user reads them. (Files
// written whole, plan.json and format, are made 0600 by os.CreateTemp.)
const (
	dirPerm  fs.FileMode = 0o700
	filePerm fs.FileMode = 0o600
)

// FileStore is a Store in a directory on the local file system.
type FileStore struct {
	dir string
}

var _ Store = (*FileStore)(nil)

// OpenFile opens the state directory dir. Nothing is created until a lock
// is taken or a run is created, so a missing directory is not an error. A
// directory written by a newer planrun is a *FormatError.
func OpenFile(dir string) (*FileStore, error) {
	s := &FileStore{dir: dir}
	if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
		return nil, fmt.Errorf("open state %s: not a directory (--state names the directory runs are kept in)", dir)
	}
	b, err := readState(filepath.Join(dir, formatFile))
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open state %s: %w", dir, err)
	}
	v, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("open state %s: read %s: not a format version: %q", dir, formatFile, strings.TrimSpace(string(b)))
	}
	if v > FormatVersion {
		return nil, &FormatError{Dir: dir, Found: v, Supported: FormatVersion}
	}
	return s, nil
}

// Dir is the state directory.
func (s *FileStore) Dir() string { return s.dir }

// RunDir is the directory of run id.
func (s *FileStore) RunDir(id string) string { return filepath.Join(s.dir, runsDir, id) }

// runDir is RunDir for a valid id, after checking that runs/ and the
// run's directory are directories (not links: see openState).
func (s *FileStore) runDir(id string) (string, error) {
	if err := validRunID(id); err != nil {
		return "", err
	}
	if err := stateDir(filepath.Join(s.dir, runsDir)); err != nil {
		return "", err
	}
	dir := s.RunDir(id)
	if err := stateDir(dir); err != nil {
		return "", err
	}
	return dir, nil
}

// WorkDir returns the scratch directory of run id, where its steps keep
// what they fetch and make (runs/<id>/work), creating it if need be.
func (s *FileStore) WorkDir(id string) (string, error) {
	dir, err := s.runDir(id)
	if err != nil {
		return "", fmt.Errorf("work directory: %w", err)
	}
	work := filepath.Join(dir, workDir)
	if err := os.Mkdir(work, dirPerm); err != nil && !errors.Is(err, fs.ErrExist) {
		return "", fmt.Errorf("create work directory: %w", err)
	}
	if err := stateDir(work); err != nil {
		return "", fmt.Errorf("work directory: %w", err)
	}
	return work, nil
}

// init creates the state directory and its format file. Directories
// above it that are missing are made as any tool makes them (0755 less the
// umask); the state directory and what is in it are the user's alone.
// Directories that exist keep their modes: a state directory written by
// an earlier planrun (0755, files 0644) stays readable as it was, and
// what this planrun adds to it is not.
func (s *FileStore) init() error {
	if err := os.MkdirAll(filepath.Dir(filepath.Clean(s.dir)), 0o755); err != nil {
		return fmt.Errorf("create state %s: %w", s.dir, err)
	}
	for _, d := range []string{s.dir, filepath.Join(s.dir, runsDir)} {
		if err := os.Mkdir(d, dirPerm); err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("create state %s: %w", s.dir, err)
		}
	}
	if err := stateDir(filepath.Join(s.dir, runsDir)); err != nil {
		return fmt.Errorf("create state %s: %w", s.dir, err)
	}
	p := filepath.Join(s.dir, formatFile)
	if _, err := os.Stat(p); err == nil {
		return nil
	}
	return writeFileAtomic(p, []byte(strconv.Itoa(FormatVersion)+"\n"))
}

func (s *FileStore) CreateRun(ctx context.Context, id string, p *plan.Plan) (Run, error) {
	if err := validRunID(id); err != nil {
		return nil, fmt.Errorf("create run: %w", err)
	}
	if err := s.init(); err != nil {
		return nil, err
	}
	dir := s.RunDir(id)
	if err := os.Mkdir(dir, dirPerm); err != nil {
		return nil, fmt.Errorf("create run %s: %w", id, err)
	}
	if err := syncDir(filepath.Dir(dir)); err != nil {
		return nil, fmt.Errorf("create run %s: %w", id, err)
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("create run %s: encode plan: %w", id, err)
	}
	// The events file first, the plan last: a run is listed once its plan
	// exists, and by then everything else does too. A creation cut short
	// (killed, or the disk full) leaves at most an empty events file,
	// which Runs passes over; a failed one is removed.
	f, err := openState(filepath.Join(dir, eventsFile), os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, filePerm)
	if err != nil {
		os.Remove(dir)
		return nil, fmt.Errorf("create run %s: %w", id, err)
	}
	if err := writeFileAtomic(filepath.Join(dir, planFile), b); err != nil {
		f.Close()
		os.Remove(f.Name())
		os.Remove(dir)
		return nil, fmt.Errorf("create run %s: %w", id, err)
	}
	return &fileRun{id: id, dir: dir, f: f}, nil
}

func (s *FileStore) OpenRun(ctx context.Context, id string) (Run, error) {
	dir, err := s.runDir(id)
	if err == nil {
		err = stateDir(filepath.Join(dir, logsDir)) // before a step writes in it
	}
	if err != nil {
		return nil, fmt.Errorf("open run: %w", err)
	}
	path := filepath.Join(dir, eventsFile)
	f, err := openState(path, os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("open run %s: %w", id, ErrRunNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("open run %s: %w", id, err)
	}
	good, seq, err := tail(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open run %s: %w", id, err)
	}
	// Cut a torn tail so that the next append starts on a clean line.
	if st, err := f.Stat(); err == nil && st.Size() != good {
		if err := f.Truncate(good); err != nil {
			f.Close()
			return nil, fmt.Errorf("open run %s: drop torn event: %w", id, err)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, fmt.Errorf("open run %s: %w", id, err)
		}
	}
	if _, err := f.Seek(0, io.SeekEnd); err != nil {
		f.Close()
		return nil, fmt.Errorf("open run %s: %w", id, err)
	}
	return &fileRun{id: id, dir: dir, f: f, size: good, seq: seq}, nil
}

func (s *FileStore) LoadRun(ctx context.Context, id string) (*RunData, error) {
	dir, err := s.runDir(id)
	if err != nil {
		return nil, fmt.Errorf("load run: %w", err)
	}
	b, err := readState(filepath.Join(dir, planFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("load run %s: %w", id, ErrRunNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load run %s: %w", id, err)
	}
	p, err := plan.DecodeFrozen(b)
	if err != nil {
		return nil, fmt.Errorf("load run %s: %w", id, &CorruptPlanError{File: filepath.Join(dir, planFile), Err: err})
	}
	path := filepath.Join(dir, eventsFile)
	f, err := openState(path, os.O_RDONLY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("load run %s: %w", id, &MissingPlanError{File: path, Events: true})
	}
	if err != nil {
		return nil, fmt.Errorf("load run %s: %w", id, err)
	}
	defer f.Close()
	evs, _, err := readEvents(f, path)
	if err != nil {
		return nil, fmt.Errorf("load run %s: %w", id, err)
	}
	return &RunData{ID: id, Plan: p, Events: evs}, nil
}

func (s *FileStore) Runs(ctx context.Context) ([]string, error) {
	ents, err := os.ReadDir(filepath.Join(s.dir, runsDir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	var ids []string
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(s.dir, runsDir, e.Name())
		_, planErr := os.Stat(filepath.Join(dir, planFile))
		ev, evErr := os.Stat(filepath.Join(dir, eventsFile))
		switch {
		case planErr == nil && errors.Is(evErr, fs.ErrNotExist):
			// Created with its events file: that file was lost since.
			return nil, &MissingPlanError{File: filepath.Join(dir, eventsFile), Events: true}
		case planErr == nil:
			ids = append(ids, e.Name())
		case evErr == nil && ev.Size() > 0:
			// Events without the plan they ran: recorded, so created
			// whole (the plan is written before any event), then damaged.
			return nil, &MissingPlanError{File: filepath.Join(dir, planFile)}
		}
		// Otherwise a creation cut short, before its plan was written:
		// no run (nothing was recorded, nothing ran).
	}
	sort.Strings(ids)
	return ids, nil
}

func (s *FileStore) ReadLog(ctx context.Context, run, step string, attempt int) ([]byte, error) {
	dir, err := s.runDir(run)
	if err == nil {
		err = stateDir(filepath.Join(dir, logsDir))
	}
	if err != nil {
		return nil, fmt.Errorf("read log: %w", err)
	}
	b, err := readState(filepath.Join(dir, logsDir, LogName(step, attempt)))
	if legacy := legacyLogName(step, attempt); errors.Is(err, fs.ErrNotExist) && legacy != LogName(step, attempt) {
		b, err = readState(filepath.Join(dir, logsDir, legacy)) // a run recorded before the hash
	}
	if err != nil {
		return nil, fmt.Errorf("read log of step %s attempt %d: %w", step, attempt, err)
	}
	return b, nil
}

// readEvents reads every complete event of an events file. It returns the
// events and the byte length of the good prefix. The last line is torn if
// it lacks its newline or does not decode; it is ignored. Any other line
// that does not decode is a *CorruptError. Lines are decoded in parallel.
func readEvents(r io.Reader, path string) ([]Event, int64, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, 0, fmt.Errorf("read %s: %w", path, err)
	}
	// Complete lines only: a tail without its newline is torn.
	var lines [][]byte
	for off := 0; off < len(b); {
		i := bytes.IndexByte(b[off:], '\n')
		if i < 0 {
			break
		}
		lines = append(lines, b[off:off+i+1])
		off += i + 1
	}
	evs := make([]Event, len(lines))
	errs := make([]error, len(lines))
	workers := min(runtime.GOMAXPROCS(0), max(1, len(lines)/512))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(lines); i += workers {
				errs[i] = decodeEvent(lines[i][:len(lines[i])-1], &evs[i])
			}
		}()
	}
	wg.Wait()
	var good int64
	for i, l := range lines {
		if errs[i] != nil {
			if i == len(lines)-1 { // the last line: torn
				return evs[:i], good, nil
			}
			return nil, 0, &CorruptError{File: path, Line: i + 1, Err: errs[i]}
		}
		good += int64(len(l))
	}
	return evs, good, nil
}

// tail finds the good prefix of an events file and the seq of its last
// event without decoding every line: whole lines only, and the last one
// must decode (else it is torn and dropped).
func tail(f *os.File) (good int64, seq int64, err error) {
	b, err := io.ReadAll(f)
	if err != nil {
		return 0, 0, err
	}
	end := bytes.LastIndexByte(b, '\n') + 1
	for end > 0 {
		start := bytes.LastIndexByte(b[:end-1], '\n') + 1
		var e struct {
			Seq int64 `json:"seq"`
		}
		if json.Unmarshal(b[start:end-1], &e) == nil {
			return int64(end), e.Seq, nil
		}
		if end != bytes.LastIndexByte(b, '\n')+1 {
			break // only the very last line may be torn
		}
		end = start
	}
	if end == 0 {
		return 0, 0, nil
	}
	return 0, 0, fmt.Errorf("%s: corrupted event before the last line", f.Name())
}

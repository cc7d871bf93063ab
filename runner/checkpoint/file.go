package checkpoint

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

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
	b, err := os.ReadFile(filepath.Join(dir, formatFile))
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

// init creates the state directory and its format file.
func (s *FileStore) init() error {
	if err := os.MkdirAll(filepath.Join(s.dir, runsDir), 0o755); err != nil {
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
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create run %s: %w", id, err)
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("create run %s: encode plan: %w", id, err)
	}
	if err := writeFileAtomic(filepath.Join(dir, planFile), b); err != nil {
		return nil, fmt.Errorf("create run %s: %w", id, err)
	}
	f, err := os.OpenFile(filepath.Join(dir, eventsFile), os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("create run %s: %w", id, err)
	}
	if err := syncDir(dir); err != nil {
		f.Close()
		return nil, fmt.Errorf("create run %s: %w", id, err)
	}
	return &fileRun{id: id, dir: dir, f: f}, nil
}

func (s *FileStore) OpenRun(ctx context.Context, id string) (Run, error) {
	if err := validRunID(id); err != nil {
		return nil, fmt.Errorf("open run: %w", err)
	}
	dir := s.RunDir(id)
	path := filepath.Join(dir, eventsFile)
	f, err := os.OpenFile(path, os.O_RDWR, 0o644)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("open run %s: %w", id, ErrRunNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("open run %s: %w", id, err)
	}
	evs, good, err := readEvents(f, path)
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
	r := &fileRun{id: id, dir: dir, f: f, size: good}
	if n := len(evs); n > 0 {
		r.seq = evs[n-1].Seq
	}
	return r, nil
}

func (s *FileStore) LoadRun(ctx context.Context, id string) (*RunData, error) {
	if err := validRunID(id); err != nil {
		return nil, fmt.Errorf("load run: %w", err)
	}
	dir := s.RunDir(id)
	b, err := os.ReadFile(filepath.Join(dir, planFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("load run %s: %w", id, ErrRunNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load run %s: %w", id, err)
	}
	var p plan.Plan
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("load run %s: %s: %w", id, filepath.Join(dir, planFile), err)
	}
	path := filepath.Join(dir, eventsFile)
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load run %s: %w", id, err)
	}
	defer f.Close()
	evs, _, err := readEvents(f, path)
	if err != nil {
		return nil, fmt.Errorf("load run %s: %w", id, err)
	}
	return &RunData{ID: id, Plan: &p, Events: evs}, nil
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
		if e.IsDir() {
			if _, err := os.Stat(filepath.Join(s.dir, runsDir, e.Name(), planFile)); err == nil {
				ids = append(ids, e.Name())
			}
		}
	}
	sort.Strings(ids)
	return ids, nil
}

func (s *FileStore) ReadLog(ctx context.Context, run, step string, attempt int) ([]byte, error) {
	if err := validRunID(run); err != nil {
		return nil, fmt.Errorf("read log: %w", err)
	}
	b, err := os.ReadFile(filepath.Join(s.RunDir(run), logsDir, LogName(step, attempt)))
	if err != nil {
		return nil, fmt.Errorf("read log of step %s attempt %d: %w", step, attempt, err)
	}
	return b, nil
}

// readEvents reads every complete event of an events file. It returns the
// events and the byte length of the good prefix. The last line is torn if
// it lacks its newline or does not decode; it is ignored. Any other line
// that does not decode is a *CorruptError.
func readEvents(r io.Reader, path string) ([]Event, int64, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	var (
		evs     []Event
		good    int64
		line    int
		pending *CorruptError // a bad line: fatal unless it was the last one
	)
	for {
		b, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// A long line: gather the rest of it.
			full := append([]byte(nil), b...)
			for errors.Is(err, bufio.ErrBufferFull) {
				b, err = br.ReadSlice('\n')
				full = append(full, b...)
			}
			b = full
		}
		if len(b) == 0 && err == io.EOF {
			break
		}
		if err != nil && err != io.EOF {
			return nil, 0, fmt.Errorf("read %s: %w", path, err)
		}
		line++
		if pending != nil {
			return nil, 0, pending
		}
		if err == io.EOF { // no newline: torn
			break
		}
		var e Event
		if uerr := json.Unmarshal(bytes.TrimRight(b, "\n"), &e); uerr != nil {
			pending = &CorruptError{File: path, Line: line, Err: uerr}
			continue
		}
		evs = append(evs, e)
		good += int64(len(b))
	}
	return evs, good, nil
}

package fate

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
)

// archiveEntry is one file or directory of an archive being written. A
// file's content is data, or else read from open (size bytes).
type archiveEntry struct {
	name    string // slash path; directories end in "/"
	modTime time.Time
	data    []byte
	open    func() (io.ReadCloser, error)
}

func (e *archiveEntry) isDir() bool { return strings.HasSuffix(e.name, "/") }

// archiveOrder sorts entries as shutil.make_archive walks a directory (with
// sorted listings): at each level the sub-directory entries, then the
// files, then each sub-directory's contents in turn. It adds the entries
// of parent directories that are missing.
func archiveOrder(entries []archiveEntry) []archiveEntry {
	byName := map[string]archiveEntry{}
	for _, e := range entries {
		byName[e.name] = e
		for dir := parentDir(e.name); dir != ""; dir = parentDir(dir) {
			if _, ok := byName[dir]; !ok {
				byName[dir] = archiveEntry{name: dir, modTime: e.modTime}
			}
		}
	}
	children := map[string][]string{} // dir ("" for top) → child names
	for name := range byName {
		p := parentDir(name)
		children[p] = append(children[p], name)
	}
	var out []archiveEntry
	var walk func(dir string)
	walk = func(dir string) {
		kids := children[dir]
		slices.Sort(kids)
		var dirs []string
		for _, k := range kids {
			if strings.HasSuffix(k, "/") {
				dirs = append(dirs, k)
				out = append(out, byName[k])
			}
		}
		for _, k := range kids {
			if !strings.HasSuffix(k, "/") {
				out = append(out, byName[k])
			}
		}
		for _, d := range dirs {
			walk(d)
		}
	}
	walk("")
	return out
}

// parentDir gives "a/b/" for "a/b/c" or "a/b/c/", and "" at the top.
func parentDir(name string) string {
	name = strings.TrimSuffix(name, "/")
	i := strings.LastIndex(name, "/")
	if i < 0 {
		return ""
	}
	return name[:i+1]
}

const chunkSize = 1 << 20

// entryState collects one entry's compressed chunks.
type entryState struct {
	mu      sync.Mutex
	chunks  [][]byte
	pending int  // chunks not yet compressed
	sealed  bool // the reader has sent every chunk
	crc     uint32
	size    uint64
	done    chan struct{}
	err     error
}

func (s *entryState) finish(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil && s.err == nil {
		s.err = err
	}
	if s.sealed && s.pending == 0 {
		select {
		case <-s.done:
		default:
			close(s.done)
		}
	}
}

type chunkJob struct {
	st   *entryState
	idx  int
	data []byte
	last bool
}

// writeArchive writes entries (in archiveOrder) as a zip to w: files
// deflated, in 1 MiB chunks compressed concurrently and joined into one
// deflate stream per file (as pigz does), directories stored.
func writeArchive(ctx context.Context, w io.Writer, entries []archiveEntry, workers int) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	states := make([]*entryState, len(entries))
	for i := range states {
		states[i] = &entryState{done: make(chan struct{})}
	}
	tokens := make(chan struct{}, 4*workers) // chunks in flight
	jobs := make(chan chunkJob)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				out, err := deflateChunk(j.data, j.last)
				j.st.mu.Lock()
				j.st.chunks[j.idx] = out
				j.st.pending--
				j.st.mu.Unlock()
				j.st.finish(err)
			}
		}()
	}
	readErr := make(chan error, 1)
	go func() {
		defer close(jobs)
		readErr <- feedChunks(ctx, entries, states, jobs, tokens)
	}()

	zw := zip.NewWriter(w)
	var werr error
	for i, e := range entries {
		st := states[i]
		select {
		case <-st.done:
		case <-ctx.Done():
			werr = context.Cause(ctx)
		}
		if werr == nil {
			werr = st.err
		}
		if werr == nil {
			werr = writeEntry(zw, &e, st)
		}
		for range st.chunks {
			<-tokens
		}
		st.chunks = nil
		if werr != nil {
			break
		}
	}
	cancel() // stops the reader (and so the compressors) on an error
	wg.Wait()
	if err := <-readErr; werr == nil && err != nil && !errors.Is(err, context.Canceled) {
		werr = err
	}
	if werr != nil {
		return werr
	}
	return zw.Close()
}

func writeEntry(zw *zip.Writer, e *archiveEntry, st *entryState) error {
	if e.isDir() {
		h := &zip.FileHeader{Name: e.name, Method: zip.Store, Modified: e.modTime}
		h.SetMode(fs.ModeDir | 0o755)
		_, err := zw.CreateHeader(h)
		return err
	}
	var csize uint64
	for _, c := range st.chunks {
		csize += uint64(len(c))
	}
	h := &zip.FileHeader{Name: e.name, Method: zip.Deflate, Modified: e.modTime,
		CRC32: st.crc, UncompressedSize64: st.size, CompressedSize64: csize}
	h.SetMode(0o644)
	// CreateRaw, unlike CreateHeader, does not fill in the MS-DOS time.
	h.ModifiedDate, h.ModifiedTime = msDosTime(e.modTime)
	fw, err := zw.CreateRaw(h)
	if err != nil {
		return fmt.Errorf("write %s: %w", e.name, err)
	}
	for _, c := range st.chunks {
		if _, err := fw.Write(c); err != nil {
			return fmt.Errorf("write %s: %w", e.name, err)
		}
	}
	return nil
}

// feedChunks reads every entry in order, computes its CRC and sends its
// chunks to the compressors.
func feedChunks(ctx context.Context, entries []archiveEntry, states []*entryState, jobs chan<- chunkJob, tokens chan struct{}) error {
	send := func(st *entryState, data []byte, last bool) error {
		select {
		case tokens <- struct{}{}:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
		st.mu.Lock()
		idx := len(st.chunks)
		st.chunks = append(st.chunks, nil)
		st.pending++
		if last {
			st.sealed = true
		}
		st.mu.Unlock()
		st.crc = crc32.Update(st.crc, crc32.IEEETable, data)
		st.size += uint64(len(data))
		select {
		case jobs <- chunkJob{st: st, idx: idx, data: data, last: last}:
			return nil
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
	for i := range entries {
		e, st := &entries[i], states[i]
		if e.isDir() {
			st.mu.Lock()
			st.sealed = true
			st.mu.Unlock()
			st.finish(nil)
			continue
		}
		if err := feedEntry(e, st, send); err != nil {
			st.mu.Lock()
			st.sealed = true
			st.mu.Unlock()
			st.finish(err)
			return err
		}
	}
	return nil
}

func feedEntry(e *archiveEntry, st *entryState, send func(*entryState, []byte, bool) error) error {
	if e.open == nil {
		data := e.data
		for {
			n := min(len(data), chunkSize)
			if err := send(st, data[:n], n == len(data)); err != nil {
				return err
			}
			if n == len(data) {
				return nil
			}
			data = data[n:]
		}
	}
	r, err := e.open()
	if err != nil {
		return fmt.Errorf("read %s: %w", e.name, err)
	}
	defer r.Close()
	buf := make([]byte, chunkSize)
	n, err := io.ReadFull(r, buf)
	for {
		if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
			return fmt.Errorf("read %s: %w", e.name, err)
		}
		cur := buf[:n]
		next := make([]byte, chunkSize)
		var n2 int
		var err2 error
		if err == nil {
			n2, err2 = io.ReadFull(r, next)
		}
		last := err != nil || (n2 == 0 && err2 == io.EOF)
		if serr := send(st, cur, last); serr != nil {
			return serr
		}
		if last {
			return nil
		}
		buf, n, err = next, n2, err2
	}
}

var flatePool = sync.Pool{New: func() any {
	fw, _ := flate.NewWriter(nil, flate.DefaultCompression)
	return fw
}}

// deflateChunk compresses one chunk; all but the last end with a sync
// flush so that the chunks join into one deflate stream.
func deflateChunk(data []byte, last bool) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(len(data)/2 + 64)
	fw := flatePool.Get().(*flate.Writer)
	defer flatePool.Put(fw)
	fw.Reset(&buf)
	if _, err := fw.Write(data); err != nil {
		return nil, err
	}
	var err error
	if last {
		err = fw.Close()
	} else {
		err = fw.Flush()
	}
	return buf.Bytes(), err
}

// msDosTime gives a zip header's date and time fields, in local time as
// Python's zipfile writes them (1980 at the earliest).
func msDosTime(t time.Time) (date, clock uint16) {
	t = t.In(time.Local)
	if t.Year() < 1980 {
		t = time.Date(1980, 1, 1, 0, 0, 0, 0, time.Local)
	}
	date = uint16(t.Day() + int(t.Month())<<5 + (t.Year()-1980)<<9)
	clock = uint16(t.Second()/2 + t.Minute()<<5 + t.Hour()<<11)
	return date, clock
}

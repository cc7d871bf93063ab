package fate

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"math"
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

// chunkSlot is one chunk of a file on its way through a compressor.
type chunkSlot struct {
	data  []byte // raw, then compressed
	last  bool
	err   error
	ready chan struct{}
}

// entryFeed is one file's chunks in order, with its CRC and size once the
// reader has closed order.
type entryFeed struct {
	order chan *chunkSlot
	crc   uint32
	size  uint64
	err   error
}

// writeArchive writes entries (in archiveOrder) as a zip to w: files
// deflated, directories stored. Files are read in 1 MiB chunks that are
// compressed concurrently and joined into one deflate stream per file (as
// pigz does); each file's CRC and sizes follow its data in a data
// descriptor, so nothing waits for a whole file. At most 4 chunks per
// worker are in memory.
func writeArchive(ctx context.Context, w io.Writer, entries []archiveEntry, workers int) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	tokens := make(chan struct{}, 4*workers)
	feeds := make([]*entryFeed, len(entries))
	for i := range feeds {
		feeds[i] = &entryFeed{order: make(chan *chunkSlot, cap(tokens))}
	}
	jobs := make(chan *chunkSlot)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s := range jobs {
				s.data, s.err = deflateChunk(s.data, s.last)
				close(s.ready)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(jobs)
		feedChunks(ctx, entries, feeds, jobs, tokens)
	}()
	err := drainArchive(ctx, zip.NewWriter(w), entries, feeds, tokens)
	cancel() // on an error, stops the reader and so the compressors
	wg.Wait()
	return err
}

func drainArchive(ctx context.Context, zw *zip.Writer, entries []archiveEntry, feeds []*entryFeed, tokens chan struct{}) error {
	for i := range entries {
		e, f := &entries[i], feeds[i]
		if e.isDir() {
			h := &zip.FileHeader{Name: e.name, Method: zip.Store, Modified: e.modTime}
			h.SetMode(fs.ModeDir | 0o755)
			if _, err := zw.CreateHeader(h); err != nil {
				return err
			}
			continue
		}
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate, Modified: e.modTime, Flags: 0x8}
		h.SetMode(0o644)
		// CreateRaw, unlike CreateHeader, does not fill in the MS-DOS time.
		h.ModifiedDate, h.ModifiedTime = msDosTime(e.modTime)
		fw, err := zw.CreateRaw(h)
		if err != nil {
			return fmt.Errorf("write %s: %w", e.name, err)
		}
		var csize uint64
	chunks:
		for {
			select {
			case s, ok := <-f.order:
				if !ok {
					break chunks
				}
				select {
				case <-s.ready:
				case <-ctx.Done():
					return context.Cause(ctx)
				}
				<-tokens
				if s.err != nil {
					return fmt.Errorf("compress %s: %w", e.name, s.err)
				}
				if _, err := fw.Write(s.data); err != nil {
					return fmt.Errorf("write %s: %w", e.name, err)
				}
				csize += uint64(len(s.data))
			case <-ctx.Done():
				return context.Cause(ctx)
			}
		}
		if f.err != nil {
			return f.err
		}
		// The data descriptor written at the next entry (or Close) and the
		// central directory take these.
		h.CRC32 = f.crc
		h.CompressedSize64, h.UncompressedSize64 = csize, f.size
		h.CompressedSize, h.UncompressedSize = uint32(min(csize, math.MaxUint32)), uint32(min(f.size, math.MaxUint32))
	}
	return zw.Close()
}

// feedChunks reads every file in order, computes its CRC and size, and
// hands its chunks to the compressors and, in order, to the writer.
func feedChunks(ctx context.Context, entries []archiveEntry, feeds []*entryFeed, jobs chan<- *chunkSlot, tokens chan struct{}) {
	for i := range entries {
		e, f := &entries[i], feeds[i]
		if e.isDir() {
			close(f.order)
			continue
		}
		send := func(data []byte, last bool) error {
			select {
			case tokens <- struct{}{}:
			case <-ctx.Done():
				return context.Cause(ctx)
			}
			f.crc = crc32.Update(f.crc, crc32.IEEETable, data)
			f.size += uint64(len(data))
			s := &chunkSlot{data: data, last: last, ready: make(chan struct{})}
			f.order <- s // never blocks: a slot holds a token
			select {
			case jobs <- s:
				return nil
			case <-ctx.Done():
				return context.Cause(ctx)
			}
		}
		err := feedEntry(e, send)
		f.err = err
		close(f.order)
		if err != nil {
			return
		}
	}
}

func feedEntry(e *archiveEntry, send func([]byte, bool) error) error {
	if e.open == nil {
		data := e.data
		for {
			n := min(len(data), chunkSize)
			if err := send(data[:n], n == len(data)); err != nil {
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
	cur := make([]byte, chunkSize)
	n, err := io.ReadFull(r, cur)
	for {
		if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
			return fmt.Errorf("read %s: %w", e.name, err)
		}
		if err != nil { // short or empty read: this is the last chunk
			return send(cur[:n], true)
		}
		next := make([]byte, chunkSize)
		n2, err2 := io.ReadFull(r, next)
		if err2 == io.EOF { // cur was exactly the end
			return send(cur[:n], true)
		}
		if serr := send(cur[:n], false); serr != nil {
			return serr
		}
		cur, n, err = next, n2, err2
	}
}

// archiveLevel is the deflate level of written archives. Go's level 1
// compresses about three times faster than its default level for ~15%
// larger archives of model buffers; with the chunks compressed in
// parallel this keeps a migration near the cost of cp + zip.
const archiveLevel = flate.BestSpeed

var flatePool = sync.Pool{New: func() any {
	fw, _ := flate.NewWriter(nil, archiveLevel)
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

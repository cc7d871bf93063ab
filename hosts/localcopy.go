package hosts

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// localBufSize: pump moves files up to this size through one pooled
// buffer and a single write.
const localBufSize = 1 << 20

// fileBufs are pooled buffers for whole small files, in three sizes so
// that many small files in flight do not each hold a large one. Each has
// a byte more than its class, to see a file that grew while read.
var fileBufs = [...]struct {
	size int
	pool sync.Pool
}{{size: 64 << 10}, {size: 256 << 10}, {size: localBufSize}}

// getBuf returns a pooled buffer of at least n+1 bytes (n <= localBufSize)
// and the function that gives it back.
func getBuf(n int64) (*[]byte, func()) {
	for i := range fileBufs {
		c := &fileBufs[i]
		if n <= int64(c.size) || i == len(fileBufs)-1 {
			bp, _ := c.pool.Get().(*[]byte)
			if bp == nil {
				b := make([]byte, c.size+1)
				bp = &b
			}
			return bp, func() { c.pool.Put(bp) }
		}
	}
	panic("unreachable")
}

// localChunk is how much of a larger file copyLocal reads, hashes, writes
// and reads back at a time: the piece and its read-back stay in the
// core's cache between the steps, and 64 files in flight hold 8 MiB of
// buffers (whole-file buffers of up to 1 MiB were slower for files of
// 0.5-1 MiB, and held 128 MiB).
const localChunk = 64 << 10

// copyLocal copies a file between local hosts in one pass over the data.
// Each piece of the source (the whole file up to localChunk, else
// localChunk at a time) is read once into a buffer and hashed, written to
// p, read back from p through the same descriptor and compared byte for
// byte with what was hashed; the file then gets the source's mode and
// mtime. The destination is thus proven to hold exactly the bytes whose
// sha256 is returned (that digest is its sha256), without hashing the
// same data twice. A difference, or a source whose size changed, is an
// error.
func copyLocal(ctx context.Context, open func() (*os.File, error), srcPath string, dst *Local, p string, fi fs.FileInfo, pr Progress) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", context.Cause(ctx)
	}
	in, err := open()
	if err != nil {
		return "", fmt.Errorf("open %s: %w", srcPath, err)
	}
	defer in.Close()
	name := dst.Resolve(p)
	out, err := createNew(name, os.O_RDWR, createPerm(fi))
	if err != nil {
		return "", fmt.Errorf("create %s: %w", p, err)
	}
	sum, err := copyInto(ctx, in, srcPath, out, p, fi, pr)
	if err != nil {
		return "", err
	}
	// Not through a link: whoever can write the directory may have put
	// one in the file's place since it was created.
	ts := []unix.Timespec{unix.NsecToTimespec(fi.ModTime().UnixNano()), unix.NsecToTimespec(fi.ModTime().UnixNano())}
	if err := unix.UtimesNanoAt(unix.AT_FDCWD, name, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return "", fmt.Errorf("chtimes %s: %w", p, &fs.PathError{Op: "chtimes", Path: name, Err: err})
	}
	return sum, nil
}

// copyInto is copyLocal's copy from in (srcPath) to out (p), which it
// closes, with fi's mode set through out: it returns the sha256 of what
// out was shown to hold.
func copyInto(ctx context.Context, in *os.File, srcPath string, out *os.File, p string, fi fs.FileInfo, pr Progress) (string, error) {
	size := fi.Size()
	piece := int64(localChunk)
	if size <= localChunk {
		piece = size + 1 // one more: a grown file shows
	}
	bp, put := getBuf(piece - 1)
	defer put()
	backp, putBack := getBuf(piece - 1)
	defer putBack()
	buf, back := (*bp)[:piece], (*backp)[:piece]
	h := sha256.New()
	off, mode, err := copyPieces(ctx, in, out, h, buf, back, size, pr)
	if perm := fi.Mode().Perm(); err == nil && mode.Perm() != perm {
		err = out.Chmod(perm) // created under a umask, or writable for writing
	}
	if cerr := out.Close(); err == nil && cerr != nil {
		err = cerr
	}
	var ve verifyError
	var re readError
	switch {
	case errors.As(err, &ve):
		return "", fmt.Errorf("verify %s: %w", p, err)
	case errors.As(err, &re):
		return "", fmt.Errorf("read %s: %w", srcPath, re.err)
	case err != nil && ctx.Err() != nil:
		return "", context.Cause(ctx)
	case err != nil:
		return "", fmt.Errorf("write %s: %w", p, err)
	case off != size:
		return "", sizeChanged(srcPath, off, size)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// readError is copyPieces' failure to read the source.
type readError struct{ err error }

func (e readError) Error() string { return e.err.Error() }
func (e readError) Unwrap() error { return e.err }

// verifyError is a destination that does not hold what was written.
type verifyError struct{ msg string }

func (e verifyError) Error() string { return e.msg }

// copyPieces moves in to out a buffer at a time (see copyLocal) and
// returns how many bytes it moved (all of in, or, for a source that grew
// past size, a count over size) and out's mode. Every piece is hashed
// into h and read back from out into back.
func copyPieces(ctx context.Context, in, out *os.File, h hash.Hash, buf, back []byte, size int64, pr Progress) (int64, fs.FileMode, error) {
	var off int64
	for {
		if err := ctx.Err(); err != nil {
			return off, 0, context.Cause(ctx)
		}
		n, err := readAll(in, buf)
		if err != nil {
			return off, 0, readError{err}
		}
		data := buf[:n]
		h.Write(data)
		if _, err := out.Write(data); err != nil {
			return off, 0, err
		}
		if m, err := out.ReadAt(back[:n], off); m < n {
			return off, 0, verifyError{fmt.Sprintf("reading back byte %d: %v", off+int64(m), err)}
		}
		if !bytes.Equal(back[:n], data) {
			return off, 0, verifyError{fmt.Sprintf("byte %d at the destination differs from the one written", off+int64(firstDiff(back[:n], data)))}
		}
		off += int64(n)
		pr.Add(int64(n))
		if n < len(buf) || off > size {
			break
		}
	}
	st, err := out.Stat()
	if err != nil {
		return off, 0, err
	}
	if st.Size() != off {
		return off, 0, verifyError{fmt.Sprintf("the destination holds %d bytes, %d were written", st.Size(), off)}
	}
	return off, st.Mode(), nil
}

// firstDiff is the index of the first byte where a and b differ.
func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// readAll reads r into buf until its end or until buf is full (the
// caller compares the count with the size it expects).
func readAll(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
	return n, nil // full: the caller sees the size differ
}

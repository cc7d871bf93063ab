package hosts

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"time"
)

const tempSuffix = ".planrun-tmp"

// TempName is the name a file is written under before it is renamed into
// place: ".<name>.planrun-tmp" in the same directory.
func TempName(p string) string {
	return path.Join(path.Dir(p), "."+path.Base(p)+tempSuffix)
}

// isPlanrunName reports names planrun leaves beside copies (temp files,
// digest records); trees never carry them along.
func isPlanrunName(name string) bool {
	return strings.HasPrefix(name, ".") && (strings.HasSuffix(name, tempSuffix) || strings.HasSuffix(name, sumsSuffix))
}

// put is one file to write: src:srcPath (described by fi) to dst:path.
type put struct {
	src     Host
	srcPath string
	// srcFS, when set, is the local source tree's root, and srcRel the
	// file's path beneath it: the file is opened through it.
	srcFS  *os.Root
	srcRel string
	dst    Host
	path   string
	fi     fs.FileInfo
	p      Progress
	// verify checks the sha256 of what dst stored before returning
	// (else the caller does, in a batch).
	verify bool
	// trustCreate skips the chmod when Create was asked for the final
	// mode already; the caller then checks modes by listing (checkAttrs).
	trustCreate bool
}

// openLocal opens the local source file: beneath the tree's root when
// there is one, else by its path.
func (u put) openLocal(l *Local) func() (*os.File, error) {
	if u.srcFS != nil {
		return func() (*os.File, error) { return u.srcFS.Open(u.srcRel) }
	}
	return func() (*os.File, error) { return os.Open(l.Resolve(u.srcPath)) }
}

// sendFile streams a file to a temp name beside final, verifies it,
// gives it the source's mode and mtime and renames it onto final. On
// error the temp file is removed.
func sendFile(ctx context.Context, src Host, srcPath string, dst Host, final string, fi fs.FileInfo, p Progress) (string, error) {
	tmp := TempName(final)
	sum, err := put{src: src, srcPath: srcPath, dst: dst, path: tmp, fi: fi, p: p, verify: true}.write(ctx)
	if err != nil {
		return "", err
	}
	if err := dst.Rename(ctx, tmp, final); err != nil {
		cleanup(ctx, dst, tmp)
		return "", fmt.Errorf("rename %s: %w", tmp, err)
	}
	return sum, nil
}

// write streams the file, gives it the source's mode and mtime and
// returns the sha256 of what was read. On error the file is removed.
func (u put) write(ctx context.Context) (string, error) {
	sum, err := u.writeOnce(ctx)
	if err != nil {
		cleanup(ctx, u.dst, u.path)
		return "", err
	}
	return sum, nil
}

func (u put) writeOnce(ctx context.Context) (string, error) {
	sl, srcLocal := u.src.(*Local)
	dl, dstLocal := u.dst.(*Local)
	if srcLocal && dstLocal {
		return copyLocal(ctx, u.openLocal(sl), u.srcPath, dl, u.path, u.fi, u.p)
	}
	var r io.ReadCloser
	var err error
	if srcLocal {
		var f *os.File
		if f, err = u.openLocal(sl)(); err == nil {
			r = wrapLocal(ctx, f)
		}
	} else {
		r, err = u.src.Open(ctx, u.srcPath)
	}
	if err != nil {
		return "", fmt.Errorf("open %s: %w", u.srcPath, err)
	}
	defer r.Close()
	created := createPerm(u.fi)
	w, err := u.dst.Create(ctx, u.path, created)
	if err != nil {
		return "", fmt.Errorf("create %s: %w", u.path, err)
	}
	if !u.trustCreate {
		created = 0 // unknown: always chmod
	}
	var sum, got string
	h := sha256.New()
	n, err := pump(w, r, u.fi.Size(), h, u.p)
	stored := false
	if sh, ok := w.(storedHasher); ok && u.verify && err == nil && n == u.fi.Size() {
		got, stored, err = sh.storedSHA256(u.fi.Size())
	}
	if want := u.fi.Mode().Perm(); err == nil && n == u.fi.Size() && created != want {
		if hc, ok := w.(handleChmoder); ok {
			// Through the handle, not the name: whoever can write the
			// directory may have put a link in the file's place since.
			if err = hc.Chmod(want); err != nil {
				err = fmt.Errorf("chmod: %w", err)
			}
			created = want
		}
	}
	if err == nil && n == u.fi.Size() {
		// Every write has been acknowledged: the mtime (and a mode
		// Create could not give, on a file without a chmod of its
		// own) can be set while the file closes, both requests in
		// flight at once (one round trip less per file).
		closed := make(chan error, 1)
		go func() { closed <- w.Close() }()
		err = setAttrs(ctx, u.dst, u.path, u.fi, created)
		if cerr := <-closed; err == nil && cerr != nil {
			err = cerr
		}
	} else if cerr := w.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err == nil && n == u.fi.Size() {
		sum = hex.EncodeToString(h.Sum(nil))
		if u.verify && !stored {
			if got, err = u.dst.SHA256(ctx, u.path); err != nil {
				err = fmt.Errorf("verify: %w", err)
			}
		}
	}
	var re readError
	switch {
	case err != nil && ctx.Err() != nil:
		return "", fmt.Errorf("write %s:%s: %w", u.dst.Name(), u.path, context.Cause(ctx))
	case errors.As(err, &re):
		// The source failed (a connection to it lost, say), not the
		// destination: name the file and host read.
		return "", fmt.Errorf("read %s:%s: %w", u.src.Name(), u.srcPath, re.err)
	case err != nil:
		return "", fmt.Errorf("write %s:%s: %w", u.dst.Name(), u.path, err)
	}
	if n != u.fi.Size() {
		return "", sizeChanged(u.srcPath, n, u.fi.Size())
	}
	if u.verify && got != sum {
		return "", fmt.Errorf("verify %s: sha256 %s at the destination, %s sent", u.path, got, sum)
	}
	return sum, nil
}

// sizeChanged is the error for a source that held n bytes when read but
// size when listed. Reading stops soon after the listed size, so for a
// file that grew, n is a lower bound.
func sizeChanged(p string, n, size int64) error {
	if n > size {
		return fmt.Errorf("read %s: size changed while copying (at least %d bytes, expected %d)", p, n, size)
	}
	return fmt.Errorf("read %s: size changed while copying (%d bytes, expected %d)", p, n, size)
}

// createPerm is the mode a file is created with: the source's, writable
// by its owner while it is written (setAttrs takes that away again).
func createPerm(fi fs.FileInfo) fs.FileMode { return fi.Mode().Perm() | 0o200 }

// cleanup removes a temp file even when ctx has ended.
func cleanup(ctx context.Context, h Host, p string) {
	c, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	_ = h.Remove(c, p)
}

func fixAttrs(ctx context.Context, dst Host, p string, have, want fs.FileInfo) error {
	if have.Mode().Perm() != want.Mode().Perm() {
		if err := dst.Chmod(ctx, p, want.Mode().Perm()); err != nil {
			return fmt.Errorf("chmod %s: %w", p, err)
		}
	}
	if have.ModTime().Unix() != want.ModTime().Unix() { // SFTP keeps seconds
		if err := dst.Chtimes(ctx, p, want.ModTime(), want.ModTime()); err != nil {
			return fmt.Errorf("chtimes %s: %w", p, err)
		}
	}
	return nil
}

// setAttrs gives p the mtime of fi, and its mode when Create was asked
// for another one (created): modes Create gave as asked are left alone,
// and Copy checks every mode and mtime once more by listing (checkAttrs).
// Both requests go at once.
func setAttrs(ctx context.Context, dst Host, p string, fi fs.FileInfo, created fs.FileMode) error {
	chmod := make(chan error, 1)
	if created != fi.Mode().Perm() {
		go func() { chmod <- dst.Chmod(ctx, p, fi.Mode().Perm()) }()
	} else {
		chmod <- nil
	}
	terr := dst.Chtimes(ctx, p, fi.ModTime(), fi.ModTime())
	if err := <-chmod; err != nil {
		return fmt.Errorf("chmod %s: %w", p, err)
	}
	if terr != nil {
		return fmt.Errorf("chtimes %s: %w", p, terr)
	}
	return nil
}

// handleChmoder is implemented by the files Create returns (*os.File,
// *sftp.File): a chmod through the open file.
type handleChmoder interface {
	Chmod(mode fs.FileMode) error
}

// storedHasher is implemented by files Create returns that can hash what
// the host stored through the still-open handle (saving a reopen); ok is
// false when the file is better hashed by Host.SHA256.
type storedHasher interface {
	storedSHA256(size int64) (sum string, ok bool, err error)
}

// meter hashes and counts the bytes that pass through it.
type meter struct {
	h hash.Hash
	p Progress
}

func (m meter) Write(b []byte) (int, error) {
	m.h.Write(b)
	m.p.Add(int64(len(b)))
	return len(b), nil
}

// sizedReader tells a pipelined writer (sftp ReadFrom) how much to expect,
// so that it sends many write requests at once.
type sizedReader struct {
	io.Reader
	n int64
}

func (s sizedReader) Size() int64 { return s.n }

// pump moves r to w, hashing and counting on the way, using the
// pipelined (concurrent request) paths of remote files when present. A
// small file goes through one pooled buffer and a single write instead
// (the pipelined paths allocate their full window for every file: ~2 MiB
// to write a 32 KiB one).
func pump(w io.Writer, r io.Reader, size int64, h hash.Hash, p Progress) (int64, error) {
	m := meter{h: h, p: p}
	if size >= 0 && size <= localBufSize {
		bp, put := getBuf(size)
		defer put()
		n, err := readAll(r, (*bp)[:size+1]) // one more: a grown file shows
		if err != nil {
			return int64(n), readError{err}
		}
		data := (*bp)[:n]
		m.Write(data)
		if _, err := w.Write(data); err != nil {
			return 0, err
		}
		return int64(n), nil
	}
	wt, srcPipelined := r.(io.WriterTo)
	rf, dstPipelined := w.(io.ReaderFrom)
	if _, ok := r.(*localFile); ok {
		srcPipelined = false
	}
	if _, ok := w.(*localFile); ok {
		dstPipelined = false
	}
	switch {
	case srcPipelined && dstPipelined:
		pr, pw := io.Pipe()
		done := make(chan error, 1)
		go func() {
			_, err := wt.WriteTo(pw)
			pw.CloseWithError(err)
			done <- err
		}()
		n, err := rf.ReadFrom(sizedReader{io.TeeReader(pr, m), size})
		pr.CloseWithError(errors.New("write side failed"))
		rerr := <-done
		switch {
		case rerr != nil && (err == nil || errors.Is(err, rerr)):
			// The reading side failed, and its error came through the pipe.
			return n, readError{rerr}
		case err == nil && rerr != nil:
			err = rerr
		}
		return n, err
	case srcPipelined:
		ws := &sideWriter{w: w}
		n, err := wt.WriteTo(io.MultiWriter(ws, m))
		if err != nil && ws.err == nil {
			err = readError{err}
		}
		return n, err
	default:
		rs := &sideReader{r: r}
		var n int64
		var err error
		if dstPipelined {
			n, err = rf.ReadFrom(sizedReader{io.TeeReader(rs, m), size})
		} else {
			n, err = io.CopyBuffer(struct{ io.Writer }{w}, io.TeeReader(rs, m), make([]byte, 1<<20))
		}
		if err != nil && rs.err != nil {
			err = readError{err}
		}
		return n, err
	}
}

// sideReader notes the first error of its reader (other than the end),
// so that pump can tell a failed source from a failed destination.
type sideReader struct {
	r   io.Reader
	err error
}

func (s *sideReader) Read(b []byte) (int, error) {
	n, err := s.r.Read(b)
	if err != nil && err != io.EOF && s.err == nil {
		s.err = err
	}
	return n, err
}

// sideWriter notes the first error of its writer.
type sideWriter struct {
	w   io.Writer
	err error
}

func (s *sideWriter) Write(b []byte) (int, error) {
	n, err := s.w.Write(b)
	if err != nil && s.err == nil {
		s.err = err
	}
	return n, err
}

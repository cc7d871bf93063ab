package hosts

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"sort"
	"sync"
	"syscall"
	"time"

	"github.com/pkg/sftp"
)

// fsOp runs fn with the SFTP client of a live connection. A failure that
// shows the connection is gone closes it, so the next call re-dials; a
// request that only reads is then tried once more on a new connection
// (the first request after a drop is often the one that finds it).
func (h *SSH) fsOp(ctx context.Context, op, p string, fn func(c *sftp.Client, rp string) error) error {
	c, err := h.connect(ctx)
	if err != nil {
		return &fs.PathError{Op: op, Path: h.name + ":" + p, Err: err}
	}
	err = h.await(ctx, c, func() error { return fn(c.sftp(), h.resolve(p)) })
	if err == nil {
		return nil
	}
	if connLost(err) {
		h.drop(c)
		if readOnlyOps[op] && ctx.Err() == nil {
			h.forget(c)
			if c, err = h.connect(ctx); err != nil {
				return &fs.PathError{Op: op, Path: h.name + ":" + p, Err: err}
			}
			if err = h.await(ctx, c, func() error { return fn(c.sftp(), h.resolve(p)) }); err == nil {
				return nil
			}
			if connLost(err) {
				h.drop(c)
			}
		}
	}
	if ctx.Err() != nil {
		err = context.Cause(ctx)
	} else if !readOnlyOps[op] && !connLost(err) {
		err = explainFailure(c.sftp(), h.resolve(p), err)
	}
	return &fs.PathError{Op: op, Path: h.name + ":" + p, Err: err}
}

// deadGrace is how long a request may stay unanswered after its context
// ended before its connection is taken for dead and closed (a live
// server answers one request in far less; a dead one never does, and
// only the keepalives would notice, much later).
var deadGrace = 5 * time.Second

// await runs fn, a request on c, under a guard: when ctx ends and fn has
// not returned deadGrace later, c is closed, which makes fn return (the
// server went silent: a dead network path, no reset).
func (h *SSH) await(ctx context.Context, c *sshConn, fn func() error) error {
	stop := h.guard(ctx, c)
	defer stop()
	return fn()
}

// guard closes c (nil: the host's connection at the time of the call,
// the one a file was just opened on) when ctx has ended and stop has not
// been called deadGrace later: requests wait for the server's replies,
// which a dead server never sends.
func (h *SSH) guard(ctx context.Context, c *sshConn) (stop func()) {
	if c == nil {
		h.mu.Lock()
		c = h.conn
		h.mu.Unlock()
	}
	g := &connGuard{h: h, c: c}
	g.after = context.AfterFunc(ctx, g.arm)
	return g.stop
}

type connGuard struct {
	h     *SSH
	c     *sshConn
	after func() bool

	mu      sync.Mutex
	timer   *time.Timer
	stopped bool
}

func (g *connGuard) arm() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.stopped {
		g.timer = time.AfterFunc(deadGrace, g.fire)
	}
}

func (g *connGuard) fire() {
	if g.c != nil {
		g.h.drop(g.c)
	}
}

func (g *connGuard) stop() {
	g.after()
	g.mu.Lock()
	defer g.mu.Unlock()
	g.stopped = true
	if g.timer != nil {
		g.timer.Stop()
	}
}

// readOnlyOps are the requests safe to send again.
var readOnlyOps = map[string]bool{"stat": true, "lstat": true, "readdir": true, "readlink": true, "open": true}

// forget makes the next connect dial again when c is the live connection
// (drop closes it; its watcher forgets it too, but only later).
func (h *SSH) forget(c *sshConn) {
	h.mu.Lock()
	if h.conn == c {
		h.conn = nil
	}
	h.mu.Unlock()
}

// connLost reports whether err shows the connection is gone (closed by
// either side, or reset: a write after the server went away fails with
// EPIPE or ECONNRESET before anything reads the EOF).
func connLost(err error) bool {
	return errors.Is(err, sftp.ErrSSHFxConnectionLost) || errors.Is(err, io.EOF) ||
		errors.Is(err, net.ErrClosed) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET)
}

func (h *SSH) Stat(ctx context.Context, p string) (fi fs.FileInfo, err error) {
	err = h.fsOp(ctx, "stat", p, func(c *sftp.Client, rp string) (err error) {
		fi, err = c.Stat(rp)
		return err
	})
	return fi, err
}

// Lstat is Stat without following a final symbolic link.
func (h *SSH) Lstat(ctx context.Context, p string) (fi fs.FileInfo, err error) {
	err = h.fsOp(ctx, "lstat", p, func(c *sftp.Client, rp string) (err error) {
		fi, err = c.Lstat(rp)
		return err
	})
	return fi, err
}

// Readlink returns the target of a symbolic link.
func (h *SSH) Readlink(ctx context.Context, p string) (target string, err error) {
	err = h.fsOp(ctx, "readlink", p, func(c *sftp.Client, rp string) (err error) {
		target, err = c.ReadLink(rp)
		return err
	})
	return target, err
}

func (h *SSH) ReadDir(ctx context.Context, p string) (ents []fs.FileInfo, err error) {
	err = h.fsOp(ctx, "readdir", p, func(c *sftp.Client, rp string) (err error) {
		ents, err = c.ReadDirContext(ctx, rp)
		return err
	})
	sort.Slice(ents, func(i, j int) bool { return ents[i].Name() < ents[j].Name() })
	return ents, err
}

func (h *SSH) Open(ctx context.Context, p string) (io.ReadCloser, error) {
	var f *sftp.File
	err := h.fsOp(ctx, "open", p, func(c *sftp.Client, rp string) (err error) {
		f, err = c.Open(rp)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &sshFile{File: f, ctx: ctx, stop: h.guard(ctx, nil)}, nil
}

func (h *SSH) Create(ctx context.Context, p string, perm fs.FileMode) (io.WriteCloser, error) {
	var f *sftp.File
	var client *sftp.Client
	var rpath string
	err := h.fsOp(ctx, "create", p, func(c *sftp.Client, rp string) (err error) {
		client, rpath = c, rp
		if f, err = createNewSFTP(c, rp); err != nil {
			return err
		}
		// The server creates it 0666 &^ umask, like a local open; set
		// other modes explicitly (Copy relies on exact modes).
		if perm != 0o644 {
			if err = f.Chmod(perm); err != nil {
				f.Close()
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &sshFile{File: f, ctx: ctx, stop: h.guard(ctx, nil), client: client, rp: rpath}, nil
}

// createNewSFTP creates rp as a new file, read-write (so that Copy can
// verify through the same handle), as createNew does locally: what is
// there, unless a directory, is removed first, and SSH_FXF_EXCL (O_EXCL
// at the server) makes sure that nothing put there meanwhile is opened
// instead. SFTP reports an existing name as a bare failure, so the name
// is looked at only when the open fails.
func createNewSFTP(c *sftp.Client, rp string) (*sftp.File, error) {
	for range 8 {
		f, err := c.OpenFile(rp, os.O_RDWR|os.O_CREATE|os.O_EXCL)
		if err == nil {
			return f, nil
		}
		fi, lerr := c.Lstat(rp)
		if lerr != nil || fi.IsDir() {
			return nil, err // not in the way: the open failed for another reason
		}
		if rerr := c.Remove(rp); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			return nil, rerr
		}
	}
	return nil, errors.New("put back each time it was removed")
}

func (h *SSH) MkdirAll(ctx context.Context, p string, perm fs.FileMode) error {
	return h.fsOp(ctx, "mkdir", p, func(c *sftp.Client, rp string) error {
		if fi, err := c.Stat(rp); err == nil && fi.IsDir() {
			return nil
		}
		return c.MkdirAll(rp)
	})
}

func (h *SSH) Rename(ctx context.Context, oldpath, newpath string) error {
	return h.fsOp(ctx, "rename", oldpath, func(c *sftp.Client, rp string) error {
		return c.PosixRename(rp, h.resolve(newpath))
	})
}

func (h *SSH) Remove(ctx context.Context, p string) error {
	return h.fsOp(ctx, "remove", p, func(c *sftp.Client, rp string) error {
		return c.Remove(rp)
	})
}

func (h *SSH) RemoveAll(ctx context.Context, p string) error {
	return h.fsOp(ctx, "removeall", p, func(c *sftp.Client, rp string) error {
		if _, err := c.Lstat(rp); errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return c.RemoveAll(rp)
	})
}

func (h *SSH) Chmod(ctx context.Context, p string, mode fs.FileMode) error {
	return h.fsOp(ctx, "chmod", p, func(c *sftp.Client, rp string) error {
		return c.Chmod(rp, mode)
	})
}

func (h *SSH) Chtimes(ctx context.Context, p string, atime, mtime time.Time) error {
	return h.fsOp(ctx, "chtimes", p, func(c *sftp.Client, rp string) error {
		return c.Chtimes(rp, atime, mtime)
	})
}

// sshFile is a remote file whose bulk transfers (WriteTo, ReadFrom) use
// pipelined SFTP requests and stop when ctx ends.
type sshFile struct {
	*sftp.File
	ctx  context.Context
	stop func() // ends the guard on the connection (SSH.guard)
	// client and rp, for a file being written: a write's bare
	// "Failure" is explained (explainFailure).
	client *sftp.Client
	rp     string
}

func (f *sshFile) Close() error {
	err := f.explain(f.File.Close())
	f.stop()
	return err
}

// explain adds why a write failed, when the server did not say.
func (f *sshFile) explain(err error) error {
	if err == nil || f.client == nil || f.ctx.Err() != nil {
		return err
	}
	return explainFailure(f.client, f.rp, err)
}

func (f *sshFile) Read(b []byte) (int, error) {
	if f.ctx.Err() != nil {
		return 0, context.Cause(f.ctx)
	}
	return f.File.Read(b)
}

func (f *sshFile) Write(b []byte) (int, error) {
	if f.ctx.Err() != nil {
		return 0, context.Cause(f.ctx)
	}
	n, err := f.File.Write(b)
	return n, f.explain(err)
}

func (f *sshFile) WriteTo(w io.Writer) (int64, error) {
	return f.File.WriteTo(ctxWriter{f.ctx, w})
}

func (f *sshFile) ReadFrom(r io.Reader) (n int64, err error) {
	if s, ok := r.(interface{ Size() int64 }); ok {
		n, err = f.File.ReadFrom(sizedReader{ctxReader{f.ctx, r}, s.Size()})
	} else {
		n, err = f.File.ReadFrom(ctxReader{f.ctx, r})
	}
	return n, f.explain(err)
}

type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(b []byte) (int, error) {
	if c.ctx.Err() != nil {
		return 0, context.Cause(c.ctx)
	}
	return c.w.Write(b)
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(b []byte) (int, error) {
	if c.ctx.Err() != nil {
		return 0, context.Cause(c.ctx)
	}
	return c.r.Read(b)
}

// storedSHA256 hashes what the server stored by reading it back through
// the open handle; large files are left to SHA256 (sha256sum remotely).
func (f *sshFile) storedSHA256(size int64) (string, bool, error) {
	if size > sumStreamLimit {
		return "", false, nil
	}
	buf := make([]byte, size)
	n, err := f.File.ReadAt(buf, 0)
	if err != nil && !(errors.Is(err, io.EOF) && int64(n) == size) {
		return "", false, fmt.Errorf("read back %s: %w", f.File.Name(), err)
	}
	s := sha256.Sum256(buf[:n])
	return hex.EncodeToString(s[:]), true, nil
}

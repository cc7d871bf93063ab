package hosts

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"sync"
	"syscall"
	"time"
)

// Local is the machine planrun runs on. Relative paths resolve against
// Root (when set) instead of the process's working directory, which lets
// one machine stand in for several "clusters" in tests and demos.
type Local struct {
	name string
	root string
}

var _ Host = (*Local)(nil)

// NewLocal returns the local machine under inventory name name; relative
// paths resolve against root ("" means the process's working directory).
func NewLocal(name, root string) *Local {
	if name == "" {
		name = LocalName
	}
	return &Local{name: name, root: root}
}

// Name returns the inventory name.
func (l *Local) Name() string { return l.name }

// Root returns the directory relative paths resolve against ("" = cwd).
func (l *Local) Root() string { return l.root }

// Resolve returns the OS path for a path on this host. "~" and "~/..."
// are in the user's home directory, as scp and the shells take them.
func (l *Local) Resolve(p string) string {
	if p == "" {
		p = "."
	}
	if rest, ok := homeRel(p); ok {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, filepath.FromSlash(rest))
		}
	}
	if filepath.IsAbs(p) || l.root == "" {
		return filepath.Clean(p)
	}
	return filepath.Join(l.root, p)
}

func (l *Local) Stat(ctx context.Context, p string) (fs.FileInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, context.Cause(ctx)
	}
	return os.Stat(l.Resolve(p))
}

// Lstat is Stat without following a final symbolic link.
func (l *Local) Lstat(ctx context.Context, p string) (fs.FileInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, context.Cause(ctx)
	}
	return os.Lstat(l.Resolve(p))
}

// Readlink returns the target of a symbolic link.
func (l *Local) Readlink(ctx context.Context, p string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", context.Cause(ctx)
	}
	return os.Readlink(l.Resolve(p))
}

func (l *Local) ReadDir(ctx context.Context, p string) ([]fs.FileInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, context.Cause(ctx)
	}
	dir := l.Resolve(p)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	out := make([]fs.FileInfo, 0, len(ents))
	for _, e := range ents {
		fi, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed while listing
		}
		if err != nil {
			return nil, err
		}
		out = append(out, fi)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out, nil
}

// localFile is an *os.File closed when its context ends. Embedding keeps
// ReadFrom/WriteTo visible to io.Copy.
type localFile struct {
	*os.File
	stop func() bool
}

func (f *localFile) Close() error {
	f.stop()
	return f.File.Close()
}

func wrapLocal(ctx context.Context, f *os.File) *localFile {
	return &localFile{File: f, stop: context.AfterFunc(ctx, func() { f.Close() })}
}

func (l *Local) Open(ctx context.Context, p string) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, context.Cause(ctx)
	}
	f, err := os.Open(l.Resolve(p))
	if err != nil {
		return nil, err
	}
	return wrapLocal(ctx, f), nil
}

func (l *Local) Create(ctx context.Context, p string, perm fs.FileMode) (io.WriteCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, context.Cause(ctx)
	}
	f, err := createNew(l.Resolve(p), os.O_WRONLY, perm)
	if err != nil {
		return nil, err
	}
	return wrapLocal(ctx, f), nil
}

// createNew creates name as a new file opened with flag (O_WRONLY or
// O_RDWR) and mode perm: what is there, unless a directory, is unlinked
// first (a link is not followed, a file's other hard links keep their
// content), and O_EXCL makes sure that nothing put there meanwhile is
// opened instead.
func createNew(name string, flag int, perm fs.FileMode) (*os.File, error) {
	for range 8 {
		f, err := os.OpenFile(name, flag|os.O_CREATE|os.O_EXCL, perm)
		if !errors.Is(err, fs.ErrExist) {
			return f, err
		}
		if err := syscall.Unlink(name); err != nil && err != syscall.ENOENT {
			return nil, &fs.PathError{Op: "create", Path: name, Err: err}
		}
	}
	return nil, &fs.PathError{Op: "create", Path: name, Err: errors.New("put back each time it was removed")}
}

func (l *Local) MkdirAll(ctx context.Context, p string, perm fs.FileMode) error {
	if err := ctx.Err(); err != nil {
		return context.Cause(ctx)
	}
	return os.MkdirAll(l.Resolve(p), perm)
}

func (l *Local) Rename(ctx context.Context, oldpath, newpath string) error {
	if err := ctx.Err(); err != nil {
		return context.Cause(ctx)
	}
	return os.Rename(l.Resolve(oldpath), l.Resolve(newpath))
}

func (l *Local) Remove(ctx context.Context, p string) error {
	if err := ctx.Err(); err != nil {
		return context.Cause(ctx)
	}
	return os.Remove(l.Resolve(p))
}

func (l *Local) RemoveAll(ctx context.Context, p string) error {
	if err := ctx.Err(); err != nil {
		return context.Cause(ctx)
	}
	return os.RemoveAll(l.Resolve(p))
}

func (l *Local) Chmod(ctx context.Context, p string, mode fs.FileMode) error {
	if err := ctx.Err(); err != nil {
		return context.Cause(ctx)
	}
	return os.Chmod(l.Resolve(p), mode)
}

func (l *Local) Chtimes(ctx context.Context, p string, atime, mtime time.Time) error {
	if err := ctx.Err(); err != nil {
		return context.Cause(ctx)
	}
	return os.Chtimes(l.Resolve(p), atime, mtime)
}

// hashBufs holds the read buffers of SHA256 (a fresh 256 KiB per file
// would cost more than hashing a small one).
var hashBufs = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

func (l *Local) SHA256(ctx context.Context, p string) (string, error) {
	f, err := l.Open(ctx, p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	buf := hashBufs.Get().(*[]byte)
	defer hashBufs.Put(buf)
	// Hide os.File's WriteTo, which would read 32 KiB at a time.
	if _, err := io.CopyBuffer(h, struct{ io.Reader }{f.(*localFile).File}, *buf); err != nil {
		if ctx.Err() != nil {
			return "", context.Cause(ctx)
		}
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Exec runs cmd on the local machine in its own process group; when ctx
// ends the whole group is killed. Command.Env is added to planrun's own
// environment. A relative Dir resolves like any path on this host.
func (l *Local) Exec(ctx context.Context, cmd Command) (Result, error) {
	if err := ctx.Err(); err != nil {
		return Result{}, context.Cause(ctx)
	}
	c := exec.CommandContext(ctx, cmd.Path, cmd.Args...)
	c.Dir = l.Resolve(cmd.Dir)
	c.Env = os.Environ()
	for k, v := range cmd.Env {
		c.Env = append(c.Env, k+"="+v)
	}
	stdout, stderr := &tailBuffer{keep: cmd.Keep}, &tailBuffer{keep: cmd.Keep}
	so, se := streams(cmd)
	c.Stdout, c.Stderr = teeTo(stdout, so), teeTo(stderr, se)
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	c.Cancel = func() error {
		if c.Process == nil {
			return nil
		}
		return syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
	}
	c.WaitDelay = 2 * time.Second
	err := c.Run()
	res := result(0, stdout, stderr)
	if ctx.Err() != nil {
		res.ExitCode = -1
		return res, fmt.Errorf("run %s: %w", cmd.Path, context.Cause(ctx))
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		res.ExitCode = ee.ExitCode()
		if res.ExitCode < 0 { // killed by a signal
			res.ExitCode = 128 + int(ee.Sys().(syscall.WaitStatus).Signal())
		}
		return res, nil
	}
	if err != nil {
		if c.Dir != "" {
			// A working directory that is gone fails the start as
			// "fork/exec PROGRAM: no such file or directory", which
			// blames the program.
			if fi, serr := os.Stat(c.Dir); serr != nil {
				return res, fmt.Errorf("run %s: working directory %s: %w", cmd.Path, c.Dir, unwrapPath(serr))
			} else if !fi.IsDir() {
				return res, fmt.Errorf("run %s: working directory %s: not a directory", cmd.Path, c.Dir)
			}
		}
		return res, fmt.Errorf("run %s: %w", cmd.Path, err)
	}
	return res, nil
}

// unwrapPath returns the cause of a *fs.PathError (the caller names the
// path), or err.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Close does nothing: the local machine needs no connection.
func (l *Local) Close() error { return nil }

// streams returns the command's stream writers; when both are the same
// writer, writes to it are serialised (as os/exec promises).
func streams(cmd Command) (stdout, stderr io.Writer) {
	if cmd.Stdout != nil && sameWriter(cmd.Stdout, cmd.Stderr) {
		w := &lockedWriter{w: cmd.Stdout}
		return w, w
	}
	return cmd.Stdout, cmd.Stderr
}

func sameWriter(a, b io.Writer) (same bool) {
	defer func() { _ = recover() }() // uncomparable dynamic types
	return a == b
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

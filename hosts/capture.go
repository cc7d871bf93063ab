package hosts

import (
	"io"
	"sync"
)

// tailBuffer holds what a command wrote to one stream: all of it, or with
// keep > 0 its last keep bytes (a command may print gigabytes; the
// caller's own writer still gets every byte). It may be read while it is
// written.
type tailBuffer struct {
	keep int
	mu   sync.Mutex
	buf  []byte
	cut  int64 // bytes left out, from the start
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if t.keep > 0 && len(t.buf) > 2*t.keep {
		// Amortised: drop down to keep once twice as much is held.
		n := len(t.buf) - t.keep
		t.cut += int64(n)
		t.buf = append(t.buf[:0:0], t.buf[n:]...)
	}
	return len(p), nil
}

// bytes returns what is held, and how many bytes before it were left out.
func (t *tailBuffer) bytes() ([]byte, int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.keep > 0 && len(t.buf) > t.keep {
		n := len(t.buf) - t.keep
		return t.buf[n:], t.cut + int64(n)
	}
	return t.buf, t.cut
}

// result is the Result of a command whose streams went to stdout and
// stderr.
func result(code int, stdout, stderr *tailBuffer) Result {
	r := Result{ExitCode: code}
	r.Stdout, r.StdoutCut = stdout.bytes()
	r.Stderr, r.StderrCut = stderr.bytes()
	return r
}

func teeTo(buf *tailBuffer, w io.Writer) io.Writer {
	if w == nil {
		return buf
	}
	return io.MultiWriter(buf, w)
}

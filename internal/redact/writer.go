package redact

import (
	"io"
	"sync"
)

// maxHold bounds the bytes held back for a chain of overlapping secrets.
const maxHold = 64 << 10

// Writer redacts a byte stream on its way to an underlying writer. It
// holds back the last len(longest secret)-1 bytes, which might be the start
// of a secret continued by the next Write (and a secret touching that tail,
// so that adjacent secrets collapse as in String); Flush (or Close) writes
// them out. Its output equals String of the whole stream, except that a
// chain of overlapping secrets longer than 64 KiB is masked in pieces.
// It is safe for concurrent use.
type Writer struct {
	r     *Redactor
	w     io.Writer
	mu    sync.Mutex
	buf   []byte // held-back tail followed by new data
	out   []byte // scratch for the redacted output
	spans []span
}

// Writer returns a Writer that redacts what it passes to w. Call Flush or
// Close when the stream ends, or the held-back tail is lost.
func (r *Redactor) Writer(w io.Writer) *Writer {
	return &Writer{r: r, w: w}
}

// Write redacts p (together with any held-back bytes) and writes out all
// but the tail that could still begin a secret. It reports len(p) written
// unless the underlying writer fails.
func (w *Writer) Write(p []byte) (int, error) {
	if w.r.Len() == 0 {
		return w.w.Write(p)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	s := string(w.buf) // one copy per write; the search works on strings
	w.spans = w.r.spans(s, w.spans)
	// Bytes before cut can never become part of a secret that ends in a
	// later write: such a secret would have to start at or after cut. A run
	// of secrets reaching cut (or touching it) is held back whole, so that
	// it merges with a secret that continues it, exactly as String would.
	cut := max(len(s)-(w.r.maxLen-1), 0)
	emit := w.spans
	for i, sp := range w.spans {
		if sp.end < cut {
			continue
		}
		if sp.start < cut {
			if len(s)-sp.start > maxHold {
				cut = sp.end // a pathological chain of secrets: bound the buffer
			} else {
				cut = sp.start
			}
		}
		emit = w.spans[:i]
		if cut == sp.end {
			emit = w.spans[:i+1]
		}
		break
	}
	if cut == 0 {
		return len(p), nil
	}
	w.out = appendMasked(w.out[:0], s[:cut], emit)
	n := copy(w.buf, w.buf[cut:])
	w.buf = w.buf[:n]
	if _, err := w.w.Write(w.out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush redacts and writes the held-back tail.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) == 0 {
		return nil
	}
	s := string(w.buf)
	w.buf = w.buf[:0]
	w.spans = w.r.spans(s, w.spans)
	w.out = appendMasked(w.out[:0], s, w.spans)
	_, err := w.w.Write(w.out)
	return err
}

// Close flushes the held-back tail. It does not close the underlying writer.
func (w *Writer) Close() error { return w.Flush() }

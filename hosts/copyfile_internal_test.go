package hosts

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"testing"
)

// TestPumpSizes: pump moves a file of the size announced whole and
// hashed, through every buffer class and past them; a file that grew or
// shrank while read comes out with another count (the caller's error).
func TestPumpSizes(t *testing.T) {
	for _, size := range []int64{0, 1, 64 << 10, 64<<10 + 1, 256 << 10, localBufSize, localBufSize + 1} {
		for _, delta := range []int64{0, -1, 1, 4096} {
			actual := size + delta
			if actual < 0 {
				continue
			}
			t.Run(fmt.Sprintf("%d%+d", size, delta), func(t *testing.T) {
				data := bytes.Repeat([]byte{7, 1, 3}, int(actual)/3+1)[:actual]
				var out bytes.Buffer
				h := sha256.New()
				n, err := pump(&out, bytes.NewReader(data), size, h, nopProgress{})
				if err != nil {
					t.Fatal(err)
				}
				if (n == size) != (delta == 0) {
					t.Fatalf("pump of %d bytes announced as %d: count %d", actual, size, n)
				}
				if delta == 0 {
					want := sha256.Sum256(data)
					if !bytes.Equal(out.Bytes(), data) || !bytes.Equal(h.Sum(nil), want[:]) {
						t.Fatalf("moved %d bytes, hash %x; want the %d read, %x", out.Len(), h.Sum(nil), len(data), want)
					}
				}
			})
		}
	}
}

// failingReader gives n bytes and then fails.
type failingReader struct {
	n   int
	err error
}

func (f *failingReader) Read(b []byte) (int, error) {
	if f.n == 0 {
		return 0, f.err
	}
	m := min(len(b), f.n)
	clear(b[:m])
	f.n -= m
	return m, nil
}

// writerToReader is a source with a pipelined path (as an SFTP file).
type writerToReader struct{ *failingReader }

func (r writerToReader) WriteTo(w io.Writer) (int64, error) {
	return io.CopyBuffer(w, struct{ io.Reader }{r.failingReader}, make([]byte, 32<<10))
}

// failingWriter takes n bytes and then fails.
type failingWriter struct {
	n   int
	err error
}

func (f *failingWriter) Write(b []byte) (int, error) {
	if len(b) > f.n {
		m := f.n
		f.n = 0
		return m, f.err
	}
	f.n -= len(b)
	return len(b), nil
}

// readerFromWriter is a destination with a pipelined path.
type readerFromWriter struct{ *failingWriter }

func (w readerFromWriter) ReadFrom(r io.Reader) (int64, error) {
	return io.CopyBuffer(struct{ io.Writer }{w.failingWriter}, r, make([]byte, 32<<10))
}

// TestPumpBlame: when a copy fails, pump says whether the source failed
// (a readError, which the caller reports as reading the source host) or
// the destination did, on each of its paths.
func TestPumpBlame(t *testing.T) {
	lost, full := errors.New("connection lost"), errors.New("no space left on device")
	const big = 4 << 20
	for _, tc := range []struct {
		name      string
		size      int64
		srcPipe   bool
		dstPipe   bool
		srcFails  bool
		wantBlame string // "read" or "write"
	}{
		{"small, source fails", 1000, false, false, true, "read"},
		{"small, destination fails", 1000, false, false, false, "write"},
		{"plain, source fails", big, false, false, true, "read"},
		{"plain, destination fails", big, false, false, false, "write"},
		{"pipelined destination, source fails", big, false, true, true, "read"},
		{"pipelined destination, destination fails", big, false, true, false, "write"},
		{"pipelined source, source fails", big, true, false, true, "read"},
		{"pipelined source, destination fails", big, true, false, false, "write"},
		{"both pipelined, source fails", big, true, true, true, "read"},
		{"both pipelined, destination fails", big, true, true, false, "write"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fr := &failingReader{n: int(tc.size), err: lost}
			fw := &failingWriter{n: int(tc.size) + 1, err: full}
			if tc.srcFails {
				fr.n = int(tc.size) / 2
			} else {
				fr.err = io.EOF // the whole source is read
				fw.n = int(tc.size) / 2
			}
			var r io.Reader = fr
			if tc.srcPipe {
				r = writerToReader{fr}
			}
			var w io.Writer = fw
			if tc.dstPipe {
				w = readerFromWriter{fw}
			}
			_, err := pump(w, r, tc.size, sha256.New(), nopProgress{})
			var re readError
			blame := "write"
			if errors.As(err, &re) {
				blame = "read"
			}
			want := full
			if tc.srcFails {
				want = lost
			}
			if !errors.Is(err, want) || blame != tc.wantBlame {
				t.Fatalf("pump: %v (blamed on the %s side), want %v on the %s side", err, blame, want, tc.wantBlame)
			}
		})
	}
}

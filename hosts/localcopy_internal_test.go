package hosts

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCopyLocal: copyLocal moves files of every size around its buffer
// and piece boundaries whole, with mode (read-only ones too) and mtime, and returns their
// sha256; a source whose size differs from the one listed (it grew or
// shrank since) is an error naming the source, for whole-buffer and
// piecewise files alike.
func TestCopyLocal(t *testing.T) {
	sizes := []int64{0, 1, localChunk - 1, localChunk, localChunk + 1, localBufSize, 3*localChunk + localBufSize + 5}
	mtime := time.Date(2022, 1, 2, 3, 4, 5, 0, time.UTC)
	for i, size := range sizes {
		// Every other file is read-only: created writable, then chmodded.
		mode := []os.FileMode{0o640, 0o444}[i%2]
		for _, delta := range []int64{0, -1, 1, localChunk + 1} {
			if size+delta < 0 {
				continue
			}
			t.Run(fmt.Sprintf("%d%+d", size, delta), func(t *testing.T) {
				dir := t.TempDir()
				data := make([]byte, size+delta)
				rand.NewChaCha8([32]byte{byte(size), byte(delta)}).Read(data)
				if err := os.WriteFile(filepath.Join(dir, "src"), data, mode); err != nil {
					t.Fatal(err)
				}
				if err := os.Chtimes(filepath.Join(dir, "src"), mtime, mtime); err != nil {
					t.Fatal(err)
				}
				fi := listed{name: "src", size: size, mode: mode, mtime: mtime}
				l := NewLocal("local", dir)
				open := func() (*os.File, error) { return os.Open(l.Resolve("src")) }
				sum, err := copyLocal(context.Background(), open, "src", l, "dst", fi, nopProgress{})
				if delta != 0 {
					want := fmt.Sprintf("read src: size changed while copying (%d bytes, expected %d)", size+delta, size)
					if delta > 0 {
						// Reading stops soon past the listed size.
						want = fmt.Sprintf("read src: size changed while copying (at least %d bytes, expected %d)", min(size+delta, readStop(size)), size)
					}
					if err == nil || !strings.HasPrefix(err.Error(), want) {
						t.Fatalf("copy of a %d-byte file listed as %d: %v, want %q", size+delta, size, err, want)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				want := sha256.Sum256(data)
				if sum != hex.EncodeToString(want[:]) {
					t.Errorf("sha256 = %s, want %x", sum, want)
				}
				got, err := os.ReadFile(filepath.Join(dir, "dst"))
				if err != nil || sha256.Sum256(got) != want {
					t.Fatalf("destination holds %d bytes (%v), not the %d copied", len(got), err, len(data))
				}
				st, err := os.Stat(filepath.Join(dir, "dst"))
				if err != nil || st.Mode() != mode || !st.ModTime().Equal(mtime) {
					t.Errorf("destination mode %v mtime %v (%v), want %v and %v", st.Mode(), st.ModTime(), err, mode, mtime)
				}
			})
		}
	}
}

// TestCopyLocalVerify: what is read back from the destination is what
// decides. A destination that reads back other bytes (/dev/zero), or
// fewer (/dev/zero again: zero bytes long), or takes no writes
// (/dev/full) fails the copy with the byte or the cause. (copyLocal
// itself creates a new file, replacing a link: the device is opened here
// and handed to the copy.)
func TestCopyLocalVerify(t *testing.T) {
	// Zeros for a piece and a bit, then a 7: the first byte /dev/zero
	// gives back wrong is that 7.
	late := make([]byte, localBufSize+localChunk)
	late[localChunk+100] = 7
	tests := []struct {
		name, dev string
		data      []byte
		want      string
	}{
		{"small differs", "/dev/zero", []byte{0, 0, 0, 9}, "verify dst: byte 3 at the destination differs from the one written"},
		{"piece differs", "/dev/zero", late, fmt.Sprintf("verify dst: byte %d at the destination differs from the one written", localChunk+100)},
		{"shorter", "/dev/zero", make([]byte, 10), "verify dst: the destination holds 0 bytes, 10 were written"},
		{"full", "/dev/full", []byte("x"), "write dst: write "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := os.Stat(tc.dev); err != nil {
				t.Skipf("no %s here: %v", tc.dev, err)
			}
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "src"), tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			in, err := os.Open(filepath.Join(dir, "src"))
			if err != nil {
				t.Fatal(err)
			}
			defer in.Close()
			out, err := os.OpenFile(tc.dev, os.O_RDWR, 0)
			if err != nil {
				t.Skipf("open %s: %v", tc.dev, err)
			}
			fi := listed{name: "src", size: int64(len(tc.data)), mode: 0o644}
			_, err = copyInto(context.Background(), in, "src", out, "dst", fi, nopProgress{})
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("copy onto %s: %v, want %q", tc.dev, err, tc.want)
			}
		})
	}
}

// readStop is how many bytes copyLocal reads at most of a file listed
// with size bytes that has grown: a byte more than a whole buffer, or up
// to the end of the piece that passes size.
func readStop(size int64) int64 {
	if size <= localChunk {
		return size + 1
	}
	return (size/localChunk + 1) * localChunk
}

// listed is a FileInfo as a listing gave it, which may be out of date.
type listed struct {
	name  string
	size  int64
	mode  os.FileMode
	mtime time.Time
}

func (f listed) Name() string       { return f.name }
func (f listed) Size() int64        { return f.size }
func (f listed) Mode() os.FileMode  { return f.mode }
func (f listed) ModTime() time.Time { return f.mtime }
func (f listed) IsDir() bool        { return false }
func (f listed) Sys() any           { return nil }

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
	"sync"
)

// localBufSize: files up to this size are copied between local hosts
// through a buffer (read once and hashed, written, read back and hashed)
// instead of copy_file_range and two more reads.
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

// copyLocalSmall copies a small file between local hosts: the source is
// read once into a buffer and hashed, written to p, read back through the
// same descriptor and hashed again, and given the source's mode and
// mtime. It returns the source's sha256; a mismatch is an error.
func copyLocalSmall(ctx context.Context, src *Local, srcPath string, dst *Local, p string, fi fs.FileInfo, pr Progress) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", context.Cause(ctx)
	}
	bp, put := getBuf(fi.Size())
	defer put()
	buf := *bp
	in, err := os.Open(src.Resolve(srcPath))
	if err != nil {
		return "", fmt.Errorf("open %s: %w", srcPath, err)
	}
	n, err := readAll(in, buf)
	in.Close()
	if err != nil {
		return "", fmt.Errorf("read %s: %w", srcPath, err)
	}
	if int64(n) != fi.Size() {
		return "", fmt.Errorf("read %s: size changed while copying (%d bytes, expected %d)", srcPath, n, fi.Size())
	}
	data := buf[:n]
	want := sha256.Sum256(data)
	name := dst.Resolve(p)
	out, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, createPerm(fi))
	if err != nil {
		return "", fmt.Errorf("create %s: %w", p, err)
	}
	got, err := writeBack(out, data, fi.Mode().Perm(), buf)
	if cerr := out.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("write %s: %w", p, err)
	}
	pr.Add(int64(n))
	if got != want {
		return "", fmt.Errorf("verify %s: sha256 %x at the destination, %x sent", p, got, want)
	}
	if err := os.Chtimes(name, fi.ModTime(), fi.ModTime()); err != nil {
		return "", fmt.Errorf("chtimes %s: %w", p, err)
	}
	return hex.EncodeToString(want[:]), nil
}

// writeBack writes data to f, gives it mode perm (fchmod only when the
// file was not created with it, e.g. under a umask) and returns the
// sha256 of what f then holds, read back into buf (which may be data's).
func writeBack(f *os.File, data []byte, perm fs.FileMode, buf []byte) ([32]byte, error) {
	if _, err := f.Write(data); err != nil {
		return [32]byte{}, err
	}
	if err := fixMode(f, perm); err != nil {
		return [32]byte{}, err
	}
	n, err := readAll(io.NewSectionReader(f, 0, int64(len(buf))), buf)
	if err != nil {
		return [32]byte{}, fmt.Errorf("read back: %w", err)
	}
	return sha256.Sum256(buf[:n]), nil
}

// fixMode gives f mode perm unless it was created with it (under a umask
// it may not have been).
func fixMode(f *os.File, perm fs.FileMode) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if st.Mode().Perm() != perm {
		return f.Chmod(perm)
	}
	return nil
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

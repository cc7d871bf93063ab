package hoststest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/planrun/planrun/hosts"
)

// NewHost returns a fresh host whose relative paths resolve in a new empty
// directory. The suite closes it.
type NewHost func(t *testing.T) hosts.Host

// Run runs the whole conformance suite against hosts made by newHost. The
// tests of a group run in parallel: hosts must be safe for that.
func Run(t *testing.T, newHost NewHost) {
	t.Helper()
	groups := []struct {
		name  string
		tests map[string]func(*testing.T, hosts.Host)
	}{
		{"files", fileTests},
		{"exec", execTests},
		{"planted", plantedTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for name, fn := range g.tests {
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					h := newHost(t)
					t.Cleanup(func() { h.Close() })
					fn(t, h)
				})
			}
		})
	}
	t.Run("copy", func(t *testing.T) { runCopy(t, newHost) })
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// WriteFile writes data to p on h with mode perm (exact, after Chmod).
func WriteFile(t *testing.T, h hosts.Host, p string, data []byte, perm fs.FileMode) {
	t.Helper()
	ctx := ctxT(t)
	w, err := h.Create(ctx, p, perm)
	if err != nil {
		t.Fatalf("create %s: %v", p, err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatalf("write %s: %v", p, err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("close %s: %v", p, err)
	}
	if err := h.Chmod(ctx, p, perm); err != nil {
		t.Fatalf("chmod %s: %v", p, err)
	}
}

// ReadFile returns the content of p on h.
func ReadFile(t *testing.T, h hosts.Host, p string) []byte {
	t.Helper()
	r, err := h.Open(ctxT(t), p)
	if err != nil {
		t.Fatalf("open %s: %v", p, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read %s: %v", p, err)
	}
	return b
}

func mustNotExist(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s: error %v, want one matching fs.ErrNotExist", what, err)
	}
}

var fileTests = map[string]func(*testing.T, hosts.Host){
	"stat missing": func(t *testing.T, h hosts.Host) {
		_, err := h.Stat(ctxT(t), "missing")
		mustNotExist(t, "stat", err)
	},
	"open missing": func(t *testing.T, h hosts.Host) {
		_, err := h.Open(ctxT(t), "missing")
		mustNotExist(t, "open", err)
	},
	"create in missing dir": func(t *testing.T, h hosts.Host) {
		_, err := h.Create(ctxT(t), "nodir/f", 0o644)
		mustNotExist(t, "create", err)
	},
	"create write read stat": func(t *testing.T, h hosts.Host) {
		data := bytes.Repeat([]byte("planrun "), 100_000) // 800 KB: several packets
		WriteFile(t, h, "f.bin", data, 0o640)
		if got := ReadFile(t, h, "f.bin"); !bytes.Equal(got, data) {
			t.Fatalf("read back %d bytes, want %d identical bytes", len(got), len(data))
		}
		fi, err := h.Stat(ctxT(t), "f.bin")
		if err != nil {
			t.Fatal(err)
		}
		if fi.Name() != "f.bin" || fi.Size() != int64(len(data)) || fi.Mode() != 0o640 || fi.IsDir() {
			t.Errorf("stat = name %q size %d mode %v dir %v", fi.Name(), fi.Size(), fi.Mode(), fi.IsDir())
		}
	},
	"create truncates": func(t *testing.T, h hosts.Host) {
		WriteFile(t, h, "f", []byte("a long first content"), 0o644)
		WriteFile(t, h, "f", []byte("short"), 0o644)
		if got := string(ReadFile(t, h, "f")); got != "short" {
			t.Errorf("content %q, want %q", got, "short")
		}
	},
	"readdir sorted": func(t *testing.T, h hosts.Host) {
		ctx := ctxT(t)
		if err := h.MkdirAll(ctx, "d/sub", 0o755); err != nil {
			t.Fatal(err)
		}
		for _, n := range []string{"d/c", "d/a", "d/b.txt"} {
			WriteFile(t, h, n, []byte(n), 0o644)
		}
		ents, err := h.ReadDir(ctx, "d")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range ents {
			got = append(got, fmt.Sprintf("%s dir=%v size=%d", e.Name(), e.IsDir(), map[bool]int64{true: 0, false: e.Size()}[e.IsDir()]))
		}
		want := []string{"a dir=false size=3", "b.txt dir=false size=7", "c dir=false size=3", "sub dir=true size=0"}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("readdir (-want +got):\n%s", d)
		}
		_, err = h.ReadDir(ctx, "missing")
		mustNotExist(t, "readdir", err)
	},
	"mkdirall": func(t *testing.T, h hosts.Host) {
		ctx := ctxT(t)
		if err := h.MkdirAll(ctx, "x/y/z", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := h.MkdirAll(ctx, "x/y/z", 0o755); err != nil {
			t.Errorf("mkdirall on an existing dir: %v", err)
		}
		if fi, err := h.Stat(ctx, "x/y/z"); err != nil || !fi.IsDir() {
			t.Errorf("stat x/y/z: %v, %v", fi, err)
		}
		WriteFile(t, h, "file", nil, 0o644)
		if err := h.MkdirAll(ctx, "file/sub", 0o755); err == nil {
			t.Error("mkdirall under a file: no error")
		}
	},
	"rename replaces": func(t *testing.T, h hosts.Host) {
		ctx := ctxT(t)
		WriteFile(t, h, "old", []byte("new content"), 0o644)
		WriteFile(t, h, "target", []byte("old content"), 0o644)
		if err := h.Rename(ctx, "old", "target"); err != nil {
			t.Fatal(err)
		}
		if got := string(ReadFile(t, h, "target")); got != "new content" {
			t.Errorf("target = %q", got)
		}
		_, err := h.Stat(ctx, "old")
		mustNotExist(t, "stat renamed", err)
		mustNotExist(t, "rename missing", h.Rename(ctx, "missing", "x"))
	},
	"remove": func(t *testing.T, h hosts.Host) {
		ctx := ctxT(t)
		WriteFile(t, h, "f", []byte("x"), 0o644)
		if err := h.Remove(ctx, "f"); err != nil {
			t.Fatal(err)
		}
		mustNotExist(t, "remove twice", h.Remove(ctx, "f"))
		if err := h.MkdirAll(ctx, "full", 0o755); err != nil {
			t.Fatal(err)
		}
		WriteFile(t, h, "full/f", []byte("x"), 0o644)
		if err := h.Remove(ctx, "full"); err == nil {
			t.Error("remove of a non-empty directory: no error")
		}
		if err := h.Remove(ctx, "full/f"); err != nil {
			t.Fatal(err)
		}
		if err := h.Remove(ctx, "full"); err != nil {
			t.Errorf("remove of an empty directory: %v", err)
		}
	},
	"removeall": func(t *testing.T, h hosts.Host) {
		ctx := ctxT(t)
		if err := h.MkdirAll(ctx, "t/a/b", 0o755); err != nil {
			t.Fatal(err)
		}
		WriteFile(t, h, "t/a/b/f", []byte("x"), 0o644)
		WriteFile(t, h, "t/g", []byte("x"), 0o644)
		if err := h.RemoveAll(ctx, "t"); err != nil {
			t.Fatal(err)
		}
		_, err := h.Stat(ctx, "t")
		mustNotExist(t, "stat removed tree", err)
		if err := h.RemoveAll(ctx, "never-there"); err != nil {
			t.Errorf("removeall of a missing path: %v", err)
		}
	},
	"chmod chtimes": func(t *testing.T, h hosts.Host) {
		ctx := ctxT(t)
		WriteFile(t, h, "f", []byte("x"), 0o644)
		if err := h.Chmod(ctx, "f", 0o600); err != nil {
			t.Fatal(err)
		}
		mtime := time.Date(2020, 6, 17, 19, 4, 24, 0, time.UTC)
		if err := h.Chtimes(ctx, "f", mtime, mtime); err != nil {
			t.Fatal(err)
		}
		fi, err := h.Stat(ctx, "f")
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 || !fi.ModTime().Equal(mtime) {
			t.Errorf("mode %v mtime %v; want 0600 and %v", fi.Mode().Perm(), fi.ModTime().UTC(), mtime)
		}
		mustNotExist(t, "chmod missing", h.Chmod(ctx, "missing", 0o600))
		mustNotExist(t, "chtimes missing", h.Chtimes(ctx, "missing", mtime, mtime))
	},
	"sha256": func(t *testing.T, h hosts.Host) {
		ctx := ctxT(t)
		WriteFile(t, h, "empty", nil, 0o644)
		WriteFile(t, h, "abc", []byte("abc"), 0o644)
		WriteFile(t, h, "big", bytes.Repeat([]byte{0, 1, 2, 3, 4, 5, 6, 7}, 1<<17), 0o644)
		want := map[string]string{
			"empty": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
			"abc":   "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
			"big":   sha256Hex(bytes.Repeat([]byte{0, 1, 2, 3, 4, 5, 6, 7}, 1<<17)),
		}
		for p, w := range want {
			got, err := h.SHA256(ctx, p)
			if err != nil || got != w {
				t.Errorf("sha256 %s = %q, %v; want %q", p, got, err, w)
			}
		}
		_, err := h.SHA256(ctx, "missing")
		mustNotExist(t, "sha256 missing", err)
	},
	"sha256 large file": func(t *testing.T, h hosts.Host) {
		// Large enough for hosts that hash on the server side (sha256sum).
		data := bytes.Repeat([]byte("0123456789abcdef"), 6<<16) // 6 MiB
		WriteFile(t, h, "large", data, 0o644)
		got, err := h.SHA256(ctxT(t), "large")
		if err != nil || got != sha256Hex(data) {
			t.Errorf("sha256 large = %q, %v; want %q", got, err, sha256Hex(data))
		}
	},
	"cancelled context": func(t *testing.T, h hosts.Host) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := h.Stat(ctx, "."); err == nil {
			t.Error("stat with a cancelled context: no error")
		}
		if _, err := h.Exec(ctx, hosts.Command{Path: "true"}); err == nil {
			t.Error("exec with a cancelled context: no error")
		}
	},
	"concurrent": func(t *testing.T, h hosts.Host) {
		ctx := ctxT(t)
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		for i := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				name := fmt.Sprintf("c%02d", i)
				data := bytes.Repeat([]byte{byte(i)}, 100_000+i)
				w, err := h.Create(ctx, name, 0o644)
				if err != nil {
					errs <- err
					return
				}
				if _, err := w.Write(data); err != nil {
					errs <- err
				}
				if err := w.Close(); err != nil {
					errs <- err
				}
				got, err := h.SHA256(ctx, name)
				if err != nil || got != sha256Hex(data) {
					errs <- fmt.Errorf("sha256 %s = %q, %v", name, got, err)
				}
				if _, err := h.ReadDir(ctx, "."); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		ents, err := h.ReadDir(ctx, ".")
		if err != nil || len(ents) != 16 {
			t.Errorf("readdir after concurrent writes: %d entries, %v", len(ents), err)
		}
	},
}

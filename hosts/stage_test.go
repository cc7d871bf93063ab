package hosts_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/planrun/planrun/hosts"
	"github.com/planrun/planrun/hosts/sshtest"
)

// stageHosts are the destinations the staging tests run against: this
// machine, the in-process SFTP server and OpenSSH's sshd.
func stageHosts(t *testing.T) map[string]func(t *testing.T) hosts.Host {
	var (
		once sync.Once
		sshd *sshtest.Server
	)
	inproc := sshtest.StartInProcess(t)
	return map[string]func(t *testing.T) hosts.Host{
		"local": func(t *testing.T) hosts.Host { return hosts.NewLocal("dst", t.TempDir()) },
		"in-process ssh": func(t *testing.T) hosts.Host {
			return inproc.NewHost(t, "remote")
		},
		"openssh": func(t *testing.T) hosts.Host {
			once.Do(func() {
				if _, err := os.Stat(sshtest.SSHDPath); err == nil {
					sshd = sshtest.StartSSHD(t)
				}
			})
			if sshd == nil {
				t.Skip("sshd not installed: apt-get install openssh-server")
			}
			return sshd.NewHost(t, "sshd")
		},
	}
}

// writeSrc writes files (relative path → content) under dir/m with mode
// 0644 and distinct old mtimes, and gives m/sub the mode 0750.
func writeSrc(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	t0 := time.Date(2022, 5, 6, 7, 8, 9, 0, time.UTC)
	i := 0
	for rel, data := range files {
		p := filepath.Join(dir, "m", rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		mt := t0.Add(time.Duration(i) * time.Minute)
		os.Chtimes(p, mt, mt)
		i++
	}
	os.Chmod(filepath.Join(dir, "m/sub"), 0o750)
	for _, d := range []string{"m/sub", "m"} {
		os.Chtimes(filepath.Join(dir, d), t0, t0)
	}
}

// treeOf describes every file and directory under root on h: content
// digest, mode and mtime (seconds).
func treeOf(t *testing.T, h hosts.Host, root string) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	fi, err := h.Stat(ctx, root)
	if err != nil {
		t.Fatalf("stat %s on %s: %v", root, h.Name(), err)
	}
	out["."] = fmt.Sprintf("%v %d", fi.Mode(), fi.ModTime().Unix())
	var walk func(rel string)
	walk = func(rel string) {
		ents, err := h.ReadDir(ctx, path.Join(root, rel))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			r := path.Join(rel, e.Name())
			desc := fmt.Sprintf("%v %d", e.Mode(), e.ModTime().Unix())
			if e.IsDir() {
				walk(r)
			} else {
				desc += " " + digestOf(t, h, path.Join(root, r))
			}
			out[r] = desc
		}
	}
	walk("")
	return out
}

func digestOf(t *testing.T, h hosts.Host, p string) string {
	t.Helper()
	r, err := h.Open(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	s := sha256.New()
	if _, err := io.Copy(s, r); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(s.Sum(nil))[:12]
}

func exists(t *testing.T, h hosts.Host, p string) bool {
	t.Helper()
	_, err := h.Stat(context.Background(), p)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("stat %s: %v", p, err)
	}
	return err == nil
}

// hook is a Progress that runs fn once, at the first bytes reported.
type hook struct {
	once sync.Once
	fn   func()
}

func (h *hook) SetTotal(int64) {}
func (h *hook) Add(int64)      { h.once.Do(h.fn) }

func TestStagedCopy(t *testing.T) {
	files := map[string]string{}
	for i := range 30 {
		files[fmt.Sprintf("d%d/f%02d", i%3, i)] = strings.Repeat(fmt.Sprintf("file %d ", i), 50+i)
	}
	files["sub/kept"] = "in a 0750 directory"
	const last = "z/last.bin" // copied last (Parallel 1, walk order)
	files[last] = strings.Repeat("the last file ", 100)
	var total int64
	for _, d := range files {
		total += int64(len(d))
	}

	for name, mk := range stageHosts(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			src := hosts.NewLocal("local", t.TempDir())
			writeSrc(t, src.Root(), files)
			dst := mk(t)
			stage := hosts.TempName("out/m")

			t.Run("interrupted fresh copy resumes from staging", func(t *testing.T) {
				// The first bytes arrive: the tree is not there yet, its
				// staging directory is; the last file then vanishes from
				// the source, which fails the copy.
				var during []string
				lastPath := filepath.Join(src.Root(), "m", last)
				h := &hook{fn: func() {
					during = append(during, fmt.Sprintf("final exists %v, staging exists %v",
						exists(t, dst, "out/m"), exists(t, dst, stage)))
					os.Rename(lastPath, lastPath+".away")
				}}
				_, err := hosts.Copy(ctx, src, "m", dst, "out/m", hosts.CopyOptions{Parallel: 1, Progress: h})
				if err == nil || !strings.Contains(err.Error(), "last.bin") {
					t.Fatalf("copy with a vanished source file: %v", err)
				}
				if d := cmp.Diff([]string{"final exists false, staging exists true"}, during); d != "" {
					t.Errorf("while copying (-want +got):\n%s", d)
				}
				if exists(t, dst, "out/m") {
					t.Fatal("a failed fresh copy left its destination")
				}
				if !exists(t, dst, path.Join(stage, "d0/f00")) {
					t.Fatal("the staging directory lost the files written before the failure")
				}

				// Leftovers the retry must not trust or carry along: a
				// staged file changed at the same size, a stray file and
				// directory, a temp file.
				f03 := path.Join(stage, "d0/f03")
				overwrite(t, dst, f03, strings.ToUpper(files["d0/f03"]))
				overwrite(t, dst, path.Join(stage, "stray"), "not in the source")
				overwrite(t, dst, path.Join(stage, "d1/gone/deep"), "not in the source")
				overwrite(t, dst, path.Join(stage, hosts.TempName("d2/f05")), "a temp file")

				os.Rename(lastPath+".away", lastPath)
				res, err := hosts.Copy(ctx, src, "m", dst, "out/m", hosts.CopyOptions{})
				if err != nil {
					t.Fatalf("retry: %v", err)
				}
				want := hosts.CopyResult{Path: "out/m", Bytes: total, Files: len(files), Skipped: len(files) - 2,
					Sent: int64(len(files[last]) + len(files["d0/f03"])), SHA256: res.SHA256, Sums: map[string]string{}}
				for rel, data := range files {
					want.Sums[rel] = fmt.Sprintf("%x", sha256.Sum256([]byte(data)))
				}
				if d := cmp.Diff(want, res); d != "" {
					t.Errorf("retry resent more than the missing and the changed file (-want +got):\n%s", d)
				}
				if d := cmp.Diff(treeOf(t, src, "m"), treeOf(t, dst, "out/m")); d != "" {
					t.Errorf("copied tree (-source +destination):\n%s", d)
				}
				if exists(t, dst, stage) {
					t.Error("the staging directory is left after the copy")
				}
			})

			t.Run("stale staging beside an existing destination", func(t *testing.T) {
				overwrite(t, dst, path.Join(stage, "d0/f00"), "stale")
				res, err := hosts.Copy(ctx, src, "m", dst, "out/m", hosts.CopyOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if res.Skipped != len(files) || res.Sent != 0 {
					t.Errorf("re-copy over an identical tree: %+v", res)
				}
				if exists(t, dst, stage) {
					t.Error("the stale staging directory is still there")
				}
				if d := cmp.Diff(treeOf(t, src, "m"), treeOf(t, dst, "out/m")); d != "" {
					t.Errorf("copied tree (-source +destination):\n%s", d)
				}
			})

			t.Run("staging directories and temp files are never carried along", func(t *testing.T) {
				// A tree holding a staged copy in progress and a temp file.
				overwrite(t, src, "m/"+hosts.TempName("sub2")+"/x", "a staged copy")
				overwrite(t, src, "m/"+hosts.TempName("d0/f00"), "a temp file")
				defer src.RemoveAll(ctx, "m/"+hosts.TempName("sub2"))
				defer src.Remove(ctx, "m/"+hosts.TempName("d0/f00"))
				res, err := hosts.Copy(ctx, src, "m", dst, "again/", hosts.CopyOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if res.Files != len(files) {
					t.Errorf("files = %d, want %d", res.Files, len(files))
				}
				want := treeOf(t, src, "m")
				for rel := range want {
					if strings.Contains(rel, ".planrun-tmp") {
						delete(want, rel)
					}
				}
				if len(want) != len(files)+6 { // and ".", d0, d1, d2, sub and z
					t.Fatalf("source tree has %d entries", len(want))
				}
				if d := cmp.Diff(want, treeOf(t, dst, "again/m")); d != "" {
					t.Errorf("copied tree (-source less planrun's entries +destination):\n%s", d)
				}
			})
		})
	}
}

// overwrite writes data to p on h, creating its directory.
func overwrite(t *testing.T, h hosts.Host, p, data string) {
	t.Helper()
	ctx := context.Background()
	if err := h.MkdirAll(ctx, path.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	w, err := h.Create(ctx, p, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(w, data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

package hoststest

// Cases where someone else can write where planrun works (a shared inbox,
// a group-writable cache, the source model directory): a name planted
// ahead of time, a symbolic or a hard link, is replaced or refused and
// never written through; a link in a source tree never leads out of it;
// a directory is never wider than the source's while a copy runs.

import (
	"io/fs"
	"path"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/planrun/planrun/hosts"
)

// run runs a shell script in h's directory and fails the test if it fails.
func run(t *testing.T, h hosts.Host, script string) {
	t.Helper()
	res, err := h.Exec(ctxT(t), sh(script))
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("%s: exit %d, %v: %s", script, res.ExitCode, err, res.Stderr)
	}
}

// lstat is Lstat on a host that reads links (every host under test).
func lstat(t *testing.T, h hosts.Host, p string) (fs.FileInfo, error) {
	t.Helper()
	lk, ok := h.(hosts.Linker)
	if !ok {
		t.Fatalf("%s cannot read links", h.Name())
	}
	return lk.Lstat(ctxT(t), p)
}

// victim is a file outside where the case writes, which must not change.
type victim struct {
	path  string
	data  []byte
	mode  fs.FileMode
	mtime time.Time
}

func plantVictim(t *testing.T, h hosts.Host, p string, data []byte) victim {
	t.Helper()
	v := victim{path: p, data: data, mode: 0o600, mtime: time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)}
	WriteFile(t, h, p, data, v.mode)
	if err := h.Chtimes(ctxT(t), p, v.mtime, v.mtime); err != nil {
		t.Fatal(err)
	}
	return v
}

func (v victim) check(t *testing.T, h hosts.Host) {
	t.Helper()
	if got := ReadFile(t, h, v.path); string(got) != string(v.data) {
		t.Errorf("%s was written through a link: %q, want %q", v.path, got, v.data)
	}
	fi, err := lstat(t, h, v.path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode() != v.mode || !fi.ModTime().Equal(v.mtime) {
		t.Errorf("%s: mode %v mtime %v, want %v %v (changed through a link)", v.path, fi.Mode(), fi.ModTime().UTC(), v.mode, v.mtime)
	}
}

// mustBeFile asserts p on h is a regular file (not a link) holding data.
func mustBeFile(t *testing.T, h hosts.Host, p string, data []byte) {
	t.Helper()
	fi, err := lstat(t, h, p)
	if err != nil {
		t.Fatal(err)
	}
	if !fi.Mode().IsRegular() {
		t.Errorf("%s is a %v, want a regular file", p, fi.Mode().Type())
	}
	if got := ReadFile(t, h, p); string(got) != string(data) {
		t.Errorf("%s = %q, want %q", p, got, data)
	}
}

var plantedTests = map[string]func(*testing.T, hosts.Host){
	"create replaces links": func(t *testing.T, h hosts.Host) {
		ctx := ctxT(t)
		v := plantVictim(t, h, "victim", []byte("precious\n"))
		run(t, h, "mkdir d && ln -s ../victim d/sym && ln -s ../made-through d/dangling && ln victim d/hard")
		for _, p := range []string{"d/sym", "d/dangling", "d/hard"} {
			w, err := h.Create(ctx, p, 0o640)
			if err != nil {
				t.Fatalf("create %s: %v", p, err)
			}
			if _, err := w.Write([]byte("new\n")); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			mustBeFile(t, h, p, []byte("new\n"))
		}
		v.check(t, h)
		_, err := lstat(t, h, "made-through")
		mustNotExist(t, "a dangling link's target", err)
	},
	"create on a directory": func(t *testing.T, h hosts.Host) {
		ctx := ctxT(t)
		if err := h.MkdirAll(ctx, "d", 0o755); err != nil {
			t.Fatal(err)
		}
		WriteFile(t, h, "d/f", []byte("x"), 0o644)
		if w, err := h.Create(ctx, "d", 0o644); err == nil {
			w.Close()
			t.Fatal("create over a directory: no error")
		}
		mustBeFile(t, h, "d/f", []byte("x"))
	},
}

// plantedCopyCases are copyCases' subtests about planted names. src holds
// files under "model".
func plantedCopyCases(t *testing.T, src, dst hosts.Host, files map[string]fileSpec) {
	t.Run("planted temp names", func(t *testing.T) {
		// The temp names a copy writes under are predictable: links and
		// hard links planted there are replaced, never written through.
		ctx := ctxT(t)
		v := plantVictim(t, dst, "victim", []byte("precious\n"))
		run(t, dst, "mkdir -p drop exist/sub .st.planrun-tmp"+
			" && ln -s ../victim drop/.c.txt.planrun-tmp"+
			" && ln -s ../victim drop/..c.txt.planrun-sums.planrun-tmp"+
			" && ln -s ../../victim exist/sub/.b.txt.planrun-tmp"+
			" && ln -s victim ..exist.planrun-sums.planrun-tmp && ln -s victim ..st.planrun-sums.planrun-tmp"+
			" && ln victim .st.planrun-tmp/conf.json")
		if _, err := hosts.Copy(ctx, src, "model/run.sh", dst, "drop/c.txt", hosts.CopyOptions{}); err != nil {
			t.Fatalf("copy a file: %v", err)
		}
		mustBeFile(t, dst, "drop/c.txt", files["run.sh"].data)
		for _, to := range []string{"exist", "st"} {
			if _, err := hosts.Copy(ctx, src, "model", dst, to, hosts.CopyOptions{Parallel: 2}); err != nil {
				t.Fatalf("copy a tree to %s: %v", to, err)
			}
			checkTree(t, dst, to, files)
		}
		v.check(t, dst)
	})
	t.Run("destination file is a link", func(t *testing.T) {
		// A link where the copy goes is replaced by the file, even when
		// what it leads to already has the content: it is not chmodded or
		// touched through the link.
		ctx := ctxT(t)
		v := plantVictim(t, dst, "victim2", files["run.sh"].data)
		run(t, dst, "mkdir -p drop2 && ln -s ../victim2 drop2/run.sh")
		if _, err := hosts.Copy(ctx, src, "model/run.sh", dst, "drop2/run.sh", hosts.CopyOptions{}); err != nil {
			t.Fatal(err)
		}
		mustBeFile(t, dst, "drop2/run.sh", files["run.sh"].data)
		checkTree(t, dst, "drop2", map[string]fileSpec{"run.sh": files["run.sh"]})
		v.check(t, dst)
	})
	t.Run("destination root is a link", func(t *testing.T) {
		// The destination the user names may be a link to a directory:
		// it is followed, as cp follows it.
		ctx := ctxT(t)
		run(t, dst, "mkdir realroot && ln -s realroot rootlink")
		if _, err := hosts.Copy(ctx, src, "model", dst, "rootlink", hosts.CopyOptions{}); err != nil {
			t.Fatal(err)
		}
		checkTree(t, dst, "realroot", files)
		if fi, err := lstat(t, dst, "rootlink"); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			t.Errorf("rootlink: %v, %v; want it still a link", fi, err)
		}
	})
	t.Run("links out through skipped entries", func(t *testing.T) {
		// A link is judged by where it physically leads: not through a
		// link the walk skips (planrun's own names, excluded entries)
		// to outside the tree. Through one that stays inside, it is fine.
		ctx := ctxT(t)
		writeTree(t, src, "outside", map[string]fileSpec{"secret.txt": {[]byte("TOPSECRET\n"), 0o600, time.Unix(1e9, 0)}})
		ok := fileSpec{[]byte("ok\n"), 0o644, time.Unix(1e9, 0)}
		for _, root := range []string{"leak1", "leak2", "leak3"} {
			writeTree(t, src, root, map[string]fileSpec{"sub/ok.txt": ok})
		}
		writeTree(t, src, "inside", map[string]fileSpec{"v1/a.txt": ok})
		run(t, src, "ln -s ../outside leak1/.x.planrun-tmp && ln -s ../.x.planrun-tmp/secret.txt leak1/sub/leak.txt"+
			" && ln -s ../outside leak2/lnk && ln -s ../lnk/secret.txt leak2/sub/leak.txt"+
			" && ln -s ../.. leak3/sub/up && ln -s up/outside/secret.txt leak3/sub/leak.txt"+
			" && ln -s v1 inside/cur && ln -s cur/a.txt inside/f")
		for _, tc := range []struct {
			root    string
			exclude []string
		}{{"leak1", nil}, {"leak2", []string{"lnk"}}, {"leak3", []string{"up"}}} {
			_, err := hosts.Copy(ctx, src, tc.root, dst, tc.root, hosts.CopyOptions{Exclude: tc.exclude})
			if err == nil || !strings.Contains(err.Error(), "outside the tree") {
				t.Errorf("copy %s: %v; want a link outside the tree refused", tc.root, err)
			}
			_, err = dst.Stat(ctx, tc.root)
			mustNotExist(t, "destination of "+tc.root, err)
		}
		res, err := hosts.Copy(ctx, src, "inside", dst, "inside", hosts.CopyOptions{Exclude: []string{"cur"}})
		if err != nil {
			t.Fatalf("copy with a link through an excluded link inside the tree: %v", err)
		}
		if res.Files != 2 {
			t.Errorf("files = %d, want 2", res.Files)
		}
		mustBeFile(t, dst, "inside/f", ok.data)
	})
	t.Run("directory modes", func(t *testing.T) {
		// While a tree is copied (and after an interruption) no directory
		// is wider than the source's: a new tree's staging directory is
		// private, and directories made or found in an existing
		// destination are no wider than they will be. The sticky bit is
		// kept, or if the host cannot keep it, so is write access for
		// anyone but the owner.
		ctx := ctxT(t)
		run(t, src, "mkdir -p priv/sub priv/shared && echo x > priv/sub/f && echo y > priv/shared/g"+
			" && chmod 0700 priv && chmod 0750 priv/sub && chmod 1777 priv/shared")
		final := map[string]fs.FileMode{}
		for _, rel := range []string{"", "sub", "shared"} {
			fi, err := src.Stat(ctx, "priv/"+rel)
			if err != nil {
				t.Fatal(err)
			}
			final[rel] = fi.Mode() & (fs.ModePerm | fs.ModeSticky)
		}
		// "pex" exists; "pres" has a staging directory an interrupted
		// copy left (by a version of planrun that made it 0755).
		run(t, dst, "mkdir -p pex .pres.planrun-tmp/sub && chmod 0755 pex .pres.planrun-tmp .pres.planrun-tmp/sub")
		for _, tc := range []struct {
			to  string
			dir func(rel string) string // where rel is while the copy runs
		}{
			{"pdst", func(rel string) string { return path.Join(".pdst.planrun-tmp", rel) }},
			{"pex", func(rel string) string { return path.Join("pex", rel) }},
			{"pres", func(rel string) string { return path.Join(".pres.planrun-tmp", rel) }},
		} {
			var once sync.Once
			var during []string
			watch := progressFunc(func(int64) {
				once.Do(func() {
					staged := strings.HasPrefix(tc.dir(""), ".")
					for _, rel := range []string{"", "sub", "shared"} {
						fi, err := dst.Stat(ctx, tc.dir(rel))
						if err != nil {
							during = append(during, err.Error())
							continue
						}
						wider := fi.Mode().Perm() & 0o077 &^ final[rel]
						if staged && rel != "" {
							continue // unreachable while the staging directory is private
						}
						if wider != 0 {
							during = append(during, tc.dir(rel)+" "+fi.Mode().String())
						}
					}
				})
			})
			if _, err := hosts.Copy(ctx, src, "priv", dst, tc.to, hosts.CopyOptions{Progress: watch}); err != nil {
				t.Fatal(err)
			}
			if during != nil {
				t.Errorf("copy to %s: while copying, wider than the source's (%v): %v", tc.to, final, during)
			}
			for rel, want := range final {
				fi, err := dst.Stat(ctx, path.Join(tc.to, rel))
				if err != nil {
					t.Fatal(err)
				}
				got := fi.Mode() & (fs.ModePerm | fs.ModeSticky)
				lost := want&fs.ModeSticky != 0 && got == want&^fs.ModeSticky&^0o022
				if got != want && !lost {
					t.Errorf("%s in %s: mode %v, want %v (or, without the sticky bit, %v)", tc.to, rel, got, want, want&^fs.ModeSticky&^0o022)
				}
			}
		}
	})
}

// progressFunc is a hosts.Progress calling a function on Add.
type progressFunc func(n int64)

func (f progressFunc) SetTotal(int64) {}
func (f progressFunc) Add(n int64)    { f(n) }

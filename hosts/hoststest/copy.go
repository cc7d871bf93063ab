package hoststest

import (
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/planrun/planrun/hosts"
)

func runCopy(t *testing.T, newHost NewHost) {
	pairs := map[string]func(t *testing.T) (src, dst hosts.Host){
		"local to host": func(t *testing.T) (hosts.Host, hosts.Host) {
			return hosts.NewLocal("local", t.TempDir()), newHost(t)
		},
		"host to local": func(t *testing.T) (hosts.Host, hosts.Host) {
			return newHost(t), hosts.NewLocal("local", t.TempDir())
		},
		"host to host": func(t *testing.T) (hosts.Host, hosts.Host) {
			return newHost(t), newHost(t)
		},
	}
	for name, mk := range pairs {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			src, dst := mk(t)
			t.Cleanup(func() { src.Close(); dst.Close() })
			copyCases(t, src, dst)
		})
	}
}

func copyCases(t *testing.T, src, dst hosts.Host) {
	ctx := ctxT(t)
	files := sampleTree()
	writeTree(t, src, "model", files)
	var total int64
	for _, f := range files {
		total += int64(len(f.data))
	}

	res, err := hosts.Copy(ctx, src, "model", dst, "out/model", hosts.CopyOptions{Parallel: 3})
	if err != nil {
		t.Fatalf("first copy: %v", err)
	}
	want := hosts.CopyResult{Path: "out/model", Bytes: total, Sent: total, Files: len(files), SHA256: treeDigest(files), Sums: fileSums(files)}
	if d := cmp.Diff(want, res); d != "" {
		t.Errorf("first copy result (-want +got):\n%s", d)
	}
	checkTree(t, dst, "out/model", files)

	res, err = hosts.Copy(ctx, src, "model", dst, "out/model", hosts.CopyOptions{})
	if err != nil {
		t.Fatalf("second copy: %v", err)
	}
	want.Sent, want.Skipped = 0, len(files)
	if d := cmp.Diff(want, res); d != "" {
		t.Errorf("unchanged re-copy (-want +got):\n%s", d)
	}

	// Same size, new content and mtime: only that file is sent again.
	changed := files["sub/b.txt"]
	changed.data, changed.mtime = []byte("HELLO\n"), changed.mtime.Add(time.Minute)
	files["sub/b.txt"] = changed
	writeTree(t, src, "model", map[string]fileSpec{"sub/b.txt": changed})
	res, err = hosts.Copy(ctx, src, "model", dst, "out/model", hosts.CopyOptions{})
	if err != nil {
		t.Fatalf("third copy: %v", err)
	}
	want.Sent, want.Skipped, want.SHA256, want.Sums = 6, len(files)-1, treeDigest(files), fileSums(files)
	if d := cmp.Diff(want, res); d != "" {
		t.Errorf("re-copy after a change (-want +got):\n%s", d)
	}
	checkTree(t, dst, "out/model", files)

	// Same size and mtime, new content: only Checksum sees it.
	changed.data = []byte("hello!")
	files["sub/b.txt"] = changed
	writeTree(t, src, "model", map[string]fileSpec{"sub/b.txt": changed})
	res, err = hosts.Copy(ctx, src, "model", dst, "out/model", hosts.CopyOptions{Checksum: true})
	if err != nil {
		t.Fatalf("checksum copy: %v", err)
	}
	want.SHA256, want.Sums = treeDigest(files), fileSums(files)
	if d := cmp.Diff(want, res); d != "" {
		t.Errorf("checksum re-copy after a change that kept the mtime (-want +got):\n%s", d)
	}
	checkTree(t, dst, "out/model", files)

	checkTreeSums(t, dst, "out/model", files)
	checkFileSums(t, dst, "out/model", files)

	// A destination file changed behind Copy's back is detected and re-sent.
	WriteFile(t, dst, "out/model/a.bin", make([]byte, len(files["a.bin"].data)), 0o644)
	zeroed := maps.Clone(files)
	zeroed["a.bin"] = fileSpec{data: make([]byte, len(files["a.bin"].data))}
	checkTreeSums(t, dst, "out/model", zeroed)
	res, err = hosts.Copy(ctx, src, "model", dst, "out/model", hosts.CopyOptions{})
	if err != nil {
		t.Fatalf("copy after tampering: %v", err)
	}
	want.Sent, want.Skipped = int64(len(files["a.bin"].data)), len(files)-1
	if d := cmp.Diff(want, res); d != "" {
		t.Errorf("re-copy after the destination changed (-want +got):\n%s", d)
	}
	checkTree(t, dst, "out/model", files)

	check, err := hosts.Copy(ctx, src, "model", dst, "out/model", hosts.CopyOptions{CheckOnly: true})
	if err != nil || check.Skipped != len(files) || check.SHA256 != want.SHA256 || !maps.Equal(check.Sums, want.Sums) {
		t.Errorf("check-only of a matching copy: %+v, %v", check, err)
	}
	check, err = hosts.Copy(ctx, src, "model", dst, "fresh", hosts.CopyOptions{CheckOnly: true})
	if err != nil {
		t.Fatalf("check-only: %v", err)
	}
	if check.Skipped != 0 || check.Files != len(files) || check.SHA256 != "" || check.Sums != nil {
		t.Errorf("check-only against nothing: %+v", check)
	}
	if _, err := dst.Stat(ctx, "fresh"); err == nil {
		t.Error("check-only wrote to the destination")
	}

	t.Run("into directory", func(t *testing.T) {
		res, err := hosts.Copy(ctx, src, "model/run.sh", dst, "inbox/", hosts.CopyOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Path != "inbox/run.sh" || res.Files != 1 || res.SHA256 != sha256Hex(files["run.sh"].data) || res.Sums != nil {
			t.Errorf("result %+v", res)
		}
		checkTree(t, dst, "inbox", map[string]fileSpec{"run.sh": files["run.sh"]})
		_, err = hosts.Copy(ctx, src, "model/run.sh", dst, "inbox", hosts.CopyOptions{})
		if err == nil || !strings.Contains(err.Error(), "is a directory") {
			t.Errorf("file onto a directory: %v", err)
		}
	})
	t.Run("exclude", func(t *testing.T) {
		_, err := hosts.Copy(ctx, src, "model", dst, "nojson", hosts.CopyOptions{Exclude: []string{"*.json", "sub/deep"}})
		if err != nil {
			t.Fatal(err)
		}
		kept := map[string]fileSpec{}
		for rel, f := range files {
			if rel != "conf.json" && rel != "sub/deep/empty" {
				kept[rel] = f
			}
		}
		checkTree(t, dst, "nojson", kept)
	})
	t.Run("odd names", func(t *testing.T) {
		// Names a shell, a hash tool's output or a line-based record
		// could take apart: copied, verified and skipped when unchanged
		// like any other.
		odd := map[string]fileSpec{}
		for i, name := range []string{"with space", "tab\tname", "new\nline", "cr\r", `back\slash`, "-dash",
			`quote"d`, "'single'", "$HOME", "*star?", "semi;colon", "π ü.txt", `"quoted"`, "sub dir/x y"} {
			odd[name] = fileSpec{[]byte(fmt.Sprintf("file %d\n", i)), 0o644, time.Unix(1.6e9+int64(i), 0)}
		}
		writeTree(t, src, "odd", odd)
		res, err := hosts.Copy(ctx, src, "odd", dst, "odd", hosts.CopyOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Files != len(odd) || res.Skipped != 0 || res.SHA256 != treeDigest(odd) || !maps.Equal(res.Sums, fileSums(odd)) {
			t.Errorf("first copy: %+v", res)
		}
		checkTree(t, dst, "odd", odd)
		checkTreeSums(t, dst, "odd", odd)
		res, err = hosts.Copy(ctx, src, "odd", dst, "odd", hosts.CopyOptions{})
		if err != nil || res.Skipped != len(odd) || res.Sent != 0 || res.SHA256 != treeDigest(odd) {
			t.Errorf("unchanged re-copy: %+v, %v", res, err)
		}
	})
	t.Run("empty directories", func(t *testing.T) {
		// A directory with no file is part of the tree: copied, missed
		// by a check when gone, and made again by the next copy.
		tree := map[string]fileSpec{"a": {[]byte("a\n"), 0o644, time.Unix(1.6e9, 0)}}
		writeTree(t, src, "ed", tree)
		if err := src.MkdirAll(ctx, "ed/e1/e2", 0o755); err != nil {
			t.Fatal(err)
		}
		isDir := func(p string) bool {
			fi, err := dst.Stat(ctx, p)
			return err == nil && fi.IsDir()
		}
		if _, err := hosts.Copy(ctx, src, "ed", dst, "ed", hosts.CopyOptions{}); err != nil || !isDir("ed/e1/e2") {
			t.Fatalf("first copy: %v; ed/e1/e2 a directory: %v", err, isDir("ed/e1/e2"))
		}
		if err := dst.Remove(ctx, "ed/e1/e2"); err != nil {
			t.Fatal(err)
		}
		check, err := hosts.Copy(ctx, src, "ed", dst, "ed", hosts.CopyOptions{CheckOnly: true})
		if err != nil || check.SHA256 != "" || check.Files != 1 || check.Skipped != 1 {
			t.Errorf("check-only with a directory gone: %+v, %v", check, err)
		}
		res, err := hosts.Copy(ctx, src, "ed", dst, "ed", hosts.CopyOptions{})
		if err != nil || res.Sent != 0 || res.SHA256 != treeDigest(tree) || !isDir("ed/e1/e2") {
			t.Errorf("copy with a directory gone: %+v, %v; ed/e1/e2 a directory: %v", res, err, isDir("ed/e1/e2"))
		}
		check, err = hosts.Copy(ctx, src, "ed", dst, "ed", hosts.CopyOptions{CheckOnly: true})
		if err != nil || check.SHA256 != treeDigest(tree) {
			t.Errorf("check-only after the copy: %+v, %v", check, err)
		}
	})
	t.Run("type clash", func(t *testing.T) {
		// A directory where the source has a file, or a file where it has
		// a directory: a check finds no match, a copy says which entry
		// is in the way and changes nothing.
		tree := map[string]fileSpec{"x": {[]byte("x\n"), 0o644, time.Unix(1.6e9, 0)},
			"d/f": {[]byte("f\n"), 0o644, time.Unix(1.6e9, 0)}}
		writeTree(t, src, "tc", tree)
		// A link to a directory where the source has one is in the
		// way too: it is not followed out of the destination.
		for _, tc := range []struct{ root, dir, file, link, want string }{
			{root: "tc1", dir: "tc1/x", want: "tc1/x on " + dst.Name() + " is a directory, where the source has a file"},
			{root: "tc2", file: "tc2/d", want: "tc2/d on " + dst.Name() + " is a file, where the source has a directory"},
			{root: "tc3", link: "tc3/d", want: "tc3/d on " + dst.Name() + " is a symbolic link, where the source has a directory"},
		} {
			root := tc.root
			if err := dst.MkdirAll(ctx, root, 0o755); err != nil {
				t.Fatal(err)
			}
			switch {
			case tc.link != "":
				run(t, dst, "mkdir elsewhere && ln -s ../elsewhere "+tc.link)
			case tc.dir != "":
				if err := dst.MkdirAll(ctx, tc.dir, 0o755); err != nil {
					t.Fatal(err)
				}
			default:
				WriteFile(t, dst, tc.file, []byte("mine\n"), 0o644)
			}
			check, err := hosts.Copy(ctx, src, "tc", dst, root, hosts.CopyOptions{CheckOnly: true})
			if err != nil || check.SHA256 != "" {
				t.Errorf("check-only against %s: %+v, %v", root, check, err)
			}
			_, err = hosts.Copy(ctx, src, "tc", dst, root, hosts.CopyOptions{})
			if err == nil || !strings.Contains(err.Error(), tc.want+": remove it, or copy elsewhere") {
				t.Errorf("copy onto %s: %v; want %q", root, err, tc.want)
			}
			switch {
			case tc.link != "":
				ents, err := dst.ReadDir(ctx, "elsewhere")
				if err != nil || len(ents) != 0 {
					t.Errorf("copied through the link %s: elsewhere holds %d entries, %v", tc.link, len(ents), err)
				}
			case tc.file != "":
				if got := ReadFile(t, dst, tc.file); string(got) != "mine\n" {
					t.Errorf("%s was changed: %q", tc.file, got)
				}
			default:
				if fi, err := dst.Stat(ctx, tc.dir); err != nil || !fi.IsDir() {
					t.Errorf("%s is no longer a directory: %v", tc.dir, err)
				}
			}
		}
	})
	plantedCopyCases(t, src, dst, files)
	t.Run("missing source", func(t *testing.T) {
		_, err := hosts.Copy(ctx, src, "nothing-here", dst, "x", hosts.CopyOptions{})
		mustNotExist(t, "copy missing", err)
		_, err = hosts.TreeSums(ctx, dst, "nothing-here")
		mustNotExist(t, "TreeSums of nothing", err)

		// A mistyped model version or id is met with the name meant, or
		// with what the deepest directory that exists holds.
		ver := map[string]fileSpec{"202311251200000000000/a.pb": {[]byte("a"), 0o644, time.Unix(1.6e9, 0)}}
		writeTree(t, src, "mlc/guest#9999#m", ver)
		for _, tc := range []struct{ path, hint string }{
			{"mlc/guest#9999#m/202311251200000000009", ` (did you mean "202311251200000000000"?)`},
			{"mlc/guest#999#m/202311251200000000000", ` (mlc has no "guest#999#m"; did you mean "guest#9999#m"?)`},
			{"mlc/host#10000#m/1/", ` (mlc has no "host#10000#m"; mlc holds guest#9999#m)`},
			{"mlc/guest#9999#m/202311251200000000000/zz.pb", ` (mlc/guest#9999#m/202311251200000000000 holds a.pb)`},
			{"mcl/guest#9999#m", ` (the host's directory has no "mcl"; did you mean "mlc"?)`},
			{"nothing/at/all", ""},
		} {
			_, err := hosts.Copy(ctx, src, tc.path, dst, "x", hosts.CopyOptions{})
			mustNotExist(t, "copy "+tc.path, err)
			switch {
			case err == nil:
			case tc.hint == "" && strings.HasSuffix(err.Error(), ")"):
				t.Errorf("copy %s: %v\nwant no hint", tc.path, err)
			case !strings.HasSuffix(err.Error(), tc.hint):
				t.Errorf("copy %s: %v\nwant it to end in %q", tc.path, err, tc.hint)
			}
		}
	})
	t.Run("symlinks", func(t *testing.T) {
		writeTree(t, src, "linked", map[string]fileSpec{"real": {[]byte("data"), 0o644, time.Unix(1e9, 0)}})
		res, err := src.Exec(ctx, sh("ln -s real linked/inside && ln -s ../model/run.sh linked/escape"))
		if err != nil || res.ExitCode != 0 {
			t.Fatalf("ln: %v %s", err, res.Stderr)
		}
		_, err = hosts.Copy(ctx, src, "linked", dst, "linked", hosts.CopyOptions{})
		if err == nil || !strings.Contains(err.Error(), "outside the tree") {
			t.Fatalf("escaping symlink: %v", err)
		}
		if err := src.Remove(ctx, "linked/escape"); err != nil {
			t.Fatal(err)
		}
		res2, err := hosts.Copy(ctx, src, "linked", dst, "linked", hosts.CopyOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if res2.Files != 2 {
			t.Errorf("files = %d, want 2 (the link inside the tree is copied as a file)", res2.Files)
		}
		if got := string(ReadFile(t, dst, "linked/inside")); got != "data" {
			t.Errorf("linked/inside = %q", got)
		}
		// FileSums (what a native import's drift check hashes) counts a
		// link where a file was as changed, though it leads to the same
		// bytes: it is left out, as a missing file is.
		got, err := hosts.FileSums(ctx, src, "linked", []string{"real", "inside"})
		if want := map[string]string{"real": sha256Hex([]byte("data"))}; err != nil || !maps.Equal(got, want) {
			t.Errorf("FileSums of a file and a link to it: %v, %v; want %v", got, err, want)
		}
	})
}

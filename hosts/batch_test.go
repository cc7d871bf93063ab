package hosts_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/planrun/planrun/hosts"
	"github.com/planrun/planrun/hosts/sshtest"
)

// smallTree writes n small files (and one 0600, one 0755) under root/m.
func smallTree(t *testing.T, root string, n int) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	for i := range n {
		files[fmt.Sprintf("d%d/f%03d", i%5, i)] = randomBytes(100+i*37, uint64(i))
	}
	for rel, b := range files {
		p := filepath.Join(root, "m", rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.Chmod(filepath.Join(root, "m/d0/f000"), 0o600)
	os.Chmod(filepath.Join(root, "m/d1/f001"), 0o755)
	old := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	os.Chtimes(filepath.Join(root, "m/d2/f002"), old, old)
	return files
}

// checkSame compares the destination tree with the source: content,
// mode and mtime (seconds) of every file.
func checkSame(t *testing.T, src, dst string, files map[string][]byte) {
	t.Helper()
	for rel := range files {
		si, _ := os.Stat(filepath.Join(src, rel))
		di, err := os.Stat(filepath.Join(dst, rel))
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			continue
		}
		b, _ := os.ReadFile(filepath.Join(dst, rel))
		if !bytes.Equal(b, files[rel]) || di.Mode() != si.Mode() || di.ModTime().Unix() != si.ModTime().Unix() {
			t.Errorf("%s: %d bytes mode %v mtime %v; want %d bytes mode %v mtime %v", rel,
				len(b), di.Mode(), di.ModTime(), len(files[rel]), si.Mode(), si.ModTime())
		}
	}
}

// TestBatchVerifyDetectsCorruption: a file the server stores wrongly is
// caught by the batched check (whichever hash tool the host has, or
// none) and never appears under its final name: written under a temp
// name into a destination that exists (no temp file is left), or into the
// staging directory of a new tree (the tree does not appear, the bad file
// is removed from the staging directory and the retry resumes from it).
func TestBatchVerifyDetectsCorruption(t *testing.T) {
	// The PATH of the server's commands ("": this process's).
	tools := map[string]func(*testing.T) string{
		"openssl":      func(*testing.T) string { return "" },
		"sha256sum":    sha256sumOnly,
		"no hash tool": func(*testing.T) string { return "/planrun-nowhere" },
	}
	modes := map[string]struct {
		exists  bool   // the destination directory exists before the copy
		corrupt string // the name the server sees written
	}{
		"existing destination": {exists: true, corrupt: filepath.Base(hosts.TempName("f017"))},
		"staged new tree":      {exists: false, corrupt: "f017"},
	}
	for tool, pathOf := range tools {
		for mode, m := range modes {
			t.Run(tool+"/"+mode, func(t *testing.T) {
				path := pathOf(t)
				srv := sshtest.StartInProcess(t)
				if path != "" {
					srv.SetExecEnv("PATH=" + path)
				}
				dst := srv.Host(t, "remote")
				src := hosts.NewLocal("local", t.TempDir())
				files := smallTree(t, src.Root(), 40)
				if m.exists {
					os.Mkdir(filepath.Join(srv.Dir, "m"), 0o755)
				}
				ctx := context.Background()
				if err := hosts.StartHashShell(ctx, dst); err != nil { // else small batches are read back
					t.Fatal(err)
				}
				srv.CorruptWrite(m.corrupt)
				_, err := hosts.Copy(ctx, src, "m", dst, "m", hosts.CopyOptions{})
				if err == nil || !strings.Contains(err.Error(), "verify") || !strings.Contains(err.Error(), "f017") {
					t.Fatalf("copy with a corrupted file: %v; want a verify error naming f017", err)
				}
				if _, err := os.Stat(filepath.Join(srv.Dir, "m/d2/f017")); err == nil {
					t.Error("corrupted f017 is under its final name")
				}
				stage := filepath.Join(srv.Dir, hosts.TempName("m"))
				if m.exists {
					if left := tempLeftovers(t, srv.Dir); len(left) != 0 {
						t.Errorf("temp files left: %v", left)
					}
				} else {
					if _, err := os.Stat(filepath.Join(srv.Dir, "m")); err == nil {
						t.Error("the tree appeared although a file did not verify")
					}
					if _, err := os.Stat(filepath.Join(stage, "d2/f017")); err == nil {
						t.Error("the corrupted f017 stayed in the staging directory")
					}
				}
				res, err := hosts.Copy(ctx, src, "m", dst, "m", hosts.CopyOptions{})
				if err != nil {
					t.Fatalf("retry: %v", err)
				}
				if res.Files != 40 || res.Sent >= res.Bytes || res.Skipped != 39 {
					t.Errorf("retry %+v: want the 39 good files kept, only f017 sent again", res)
				}
				checkSame(t, filepath.Join(src.Root(), "m"), filepath.Join(srv.Dir, "m"), files)
				if left := tempLeftovers(t, srv.Dir); len(left) != 0 {
					t.Errorf("temp files or staging directory left: %v", left)
				}
			})
		}
	}
}

// TestBatchVerifyOneCommandPerBatch: many small files are verified by a
// few remote commands (not one each), and arrive with mode and mtime.
func TestBatchVerifyOneCommandPerBatch(t *testing.T) {
	srv := sshtest.StartInProcess(t)
	dst := srv.Host(t, "remote")
	src := hosts.NewLocal("local", t.TempDir())
	files := smallTree(t, src.Root(), 600)
	ctx := context.Background()
	if err := hosts.StartHashShell(ctx, dst); err != nil { // else small batches are read back
		t.Fatal(err)
	}
	res, err := hosts.Copy(ctx, src, "m", dst, "m", hosts.CopyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Files != 600 || res.Skipped != 0 {
		t.Errorf("result %+v: want 600 files sent", res)
	}
	if n := srv.Execs(); n < 1 || n > 4 {
		t.Errorf("%d remote commands for 600 small files, want 3 or 4 (batches of 256)", n)
	}
	checkSame(t, filepath.Join(src.Root(), "m"), filepath.Join(srv.Dir, "m"), files)
	if left := tempLeftovers(t, srv.Dir); len(left) != 0 {
		t.Errorf("temp files left: %v", left)
	}
}

// TestSmallCopyReadsBack: a copy of a few small files does not wait for
// the host's hash shell, whose login shell may take long to start (here:
// until the test ends). Its files are read back through SFTP to verify
// them, and a file the server stores wrongly is still caught. TreeSums of
// the copy does the same.
func TestSmallCopyReadsBack(t *testing.T) {
	for _, corrupt := range []bool{false, true} {
		t.Run(fmt.Sprintf("corrupt=%v", corrupt), func(t *testing.T) {
			gate := t.TempDir()
			srv := loginShellServer(t, "while [ ! -e "+gate+"/open ]; do sleep 0.01; done\nexec /bin/sh \"$@\"")
			t.Cleanup(func() { os.WriteFile(filepath.Join(gate, "open"), nil, 0o644) }) // before the server's
			dst := srv.Host(t, "remote")
			src := hosts.NewLocal("local", t.TempDir())
			files := smallTree(t, src.Root(), 12)
			if corrupt {
				srv.CorruptWrite("f007")
			}
			// A bound for the case under test failing (waiting for the
			// shell), not a timing: the copy needs milliseconds.
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			res, err := hosts.Copy(ctx, src, "m", dst, "m", hosts.CopyOptions{})
			if corrupt {
				if err == nil || !strings.Contains(err.Error(), "verify") || !strings.Contains(err.Error(), "f007") {
					t.Fatalf("copy with a corrupted file: %v; want a verify error naming f007", err)
				}
				if _, err := os.Stat(filepath.Join(srv.Dir, "m")); err == nil {
					t.Error("the tree appeared although a file did not verify")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.Files != 12 || res.Skipped != 0 {
				t.Errorf("result %+v: want 12 files sent", res)
			}
			checkSame(t, filepath.Join(src.Root(), "m"), filepath.Join(srv.Dir, "m"), files)
			if left := tempLeftovers(t, srv.Dir); len(left) != 0 {
				t.Errorf("temp files or staging directory left: %v", left)
			}
			// TreeSums of the small tree does not wait for the shell either.
			want, err := hosts.TreeSums(ctx, src, "m")
			if err != nil {
				t.Fatal(err)
			}
			got, err := hosts.TreeSums(ctx, dst, "m")
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(want, got); d != "" || len(got) != 12 {
				t.Errorf("TreeSums of the copy, %d files (-local +remote):\n%s", len(got), d)
			}
		})
	}
}

// TestTreeSumsBatches: TreeSums hashes many small files on an SSH host
// with a few runs of the hash tool (batches of up to 1,024 files, not one
// each), a large file with its own, and a name hash tools would escape
// through SFTP; on a host without a hash tool, every file through SFTP.
// Every digest agrees with the local file's.
func TestTreeSumsBatches(t *testing.T) {
	for _, tc := range []struct {
		name     string
		path     string // the server's PATH; "" = the wrapped openssl first
		maxRuns  int
		minFiles int // files openssl hashed
	}{
		// Two batches, each split between two runs, and the large file.
		{name: "openssl", maxRuns: 5, minFiles: 1101},
		{name: "no hash tool", path: "/planrun-nowhere"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log := filepath.Join(t.TempDir(), "runs")
			bin := wrappedOpenSSL(t, "echo $# >> "+log) // a line per run: its argument count
			srv := sshtest.StartInProcess(t)
			if tc.path == "" {
				tc.path = bin + ":/usr/bin:/bin"
			}
			srv.SetExecEnv("PATH=" + tc.path)
			h := srv.Host(t, "remote")
			files := smallTree(t, srv.Dir, 1100)
			files["big"] = randomBytes(5<<20, 7)
			files["new\nline"] = []byte("odd\n")
			for _, rel := range []string{"big", "new\nline"} {
				if err := os.WriteFile(filepath.Join(srv.Dir, "m", rel), files[rel], 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want := map[string]string{}
			for rel, b := range files {
				want[rel] = fmt.Sprintf("%x", sha256.Sum256(b))
			}
			got, err := hosts.TreeSums(context.Background(), h, "m")
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("TreeSums (-want +got):\n%s", d)
			}
			b, _ := os.ReadFile(log)
			runs, args := 0, 0
			for _, l := range strings.Fields(string(b)) {
				n, _ := strconv.Atoi(l)
				runs, args = runs+1, args+n-3 // less "dgst -sha256 -r"
			}
			t.Logf("openssl ran %d times for %d files", runs, args)
			if runs > tc.maxRuns || args < tc.minFiles {
				t.Errorf("openssl ran %d times for %d files, want at most %d runs for at least %d files", runs, args, tc.maxRuns, tc.minFiles)
			}
		})
	}
}

// TestSFTPOnlyAccount: on an account that runs no command (a login shell
// that refuses them, as nologin does: a message on stdout, exit 1; or
// OpenSSH's ForceCommand internal-sftp, which serves SFTP whatever is
// asked), a copy and TreeSums verify every file through SFTP instead of
// failing on the hash tool, and ask once whether commands run at all.
func TestSFTPOnlyAccount(t *testing.T) {
	for name, start := range map[string]func(t *testing.T) *sshtest.Server{
		"nologin": func(t *testing.T) *sshtest.Server {
			return loginShellServer(t, "echo 'This account is currently not available.'\nexit 1")
		},
		"OpenSSH ForceCommand internal-sftp": func(t *testing.T) *sshtest.Server {
			return sshtest.StartSSHDWith(t, "ForceCommand internal-sftp")
		},
	} {
		t.Run(name, func(t *testing.T) {
			srv := start(t)
			dst := srv.Host(t, "remote")
			src := hosts.NewLocal("local", t.TempDir())
			files := smallTree(t, src.Root(), 300) // batches past readBackMax: the hash tool is tried
			files["big"] = randomBytes(5<<20, 11)  // hashed by a command of its own when it can
			os.WriteFile(filepath.Join(src.Root(), "m/big"), files["big"], 0o644)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			res, err := hosts.Copy(ctx, src, "m", dst, "m", hosts.CopyOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Files != len(files) {
				t.Errorf("result %+v: want %d files", res, len(files))
			}
			checkSame(t, filepath.Join(src.Root(), "m"), filepath.Join(srv.Dir, "m"), files)
			got, err := hosts.TreeSums(ctx, dst, "m")
			if err != nil {
				t.Fatal(err)
			}
			want, _ := hosts.TreeSums(ctx, src, "m")
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("TreeSums (-local +remote):\n%s", d)
			}
			if name == "nologin" {
				// The hash shell, the hash tool, and the check whether
				// commands run.
				if n := srv.Execs(); n > 4 {
					t.Errorf("%d exec sessions, want at most 4: asked once, then SFTP only", n)
				}
			}
		})
	}
}

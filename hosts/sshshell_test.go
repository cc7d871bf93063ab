package hosts_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/planrun/planrun/hosts"
	"github.com/planrun/planrun/hosts/sshtest"
)

// TestHashShell: the remote hashes of many files, asked for concurrently
// and again after the connection dropped, are right and run in a few
// long-lived shells instead of one exec session each.
func TestHashShell(t *testing.T) {
	srv := sshtest.StartInProcess(t)
	h := srv.Host(t, "remote")
	ctx := context.Background()
	local := hosts.NewLocal("l", srv.Dir)
	const n = 8
	for i := range n {
		os.WriteFile(filepath.Join(srv.Dir, fmt.Sprintf("big%d", i)), randomBytes(5<<20, uint64(10+i)), 0o644)
	}
	hashAll := func(round string) {
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				name := fmt.Sprintf("big%d", i)
				want, _ := local.SHA256(ctx, name)
				if got, err := h.SHA256(ctx, name); err != nil || got != want {
					t.Errorf("%s: sha256 %s = %q, %v; want %q", round, name, got, err, want)
				}
			}()
		}
		wg.Wait()
	}
	hashAll("first")
	hashAll("second")
	if got := srv.Execs(); got < 1 || got > 2 {
		t.Errorf("%d exec sessions for %d hashes, want 1 or 2 (the hash shells)", got, 2*n)
	}
	srv.CloseConnections()
	hashAll("after the connection dropped")
	if got := srv.Execs(); got > 4 {
		t.Errorf("%d exec sessions after a reconnect, want at most 4", got)
	}

}

// TestWarmHashShell: a shell warmed up before the first hash is the one
// the hashes use (also when asked for while it is still starting), not a
// second one started beside it.
func TestWarmHashShell(t *testing.T) {
	srv := sshtest.StartInProcess(t)
	h := srv.Host(t, "remote")
	ctx := context.Background()
	local := hosts.NewLocal("l", srv.Dir)
	os.WriteFile(filepath.Join(srv.Dir, "big"), randomBytes(5<<20, 99), 0o644)
	want, _ := local.SHA256(ctx, "big")
	if _, err := h.Stat(ctx, "big"); err != nil { // connected
		t.Fatal(err)
	}
	hosts.WarmHashShell(ctx, h)
	for i := range 3 {
		if got, err := h.SHA256(ctx, "big"); err != nil || got != want {
			t.Fatalf("hash %d: %q, %v; want %q", i, got, err, want)
		}
	}
	if got := srv.Execs(); got != 1 {
		t.Errorf("%d exec sessions for a warmed shell and 3 hashes, want 1", got)
	}
}

// TestGreetingShell: a login shell that greets on stdout, without a
// newline, before it runs the command, still serves one hash shell (its
// greeting is not taken for output, and the shell is not given up on).
func TestGreetingShell(t *testing.T) {
	srv := loginShellServer(t, "printf 'Welcome to the cluster'\nexec /bin/sh \"$@\"")
	h := srv.Host(t, "remote")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	local := hosts.NewLocal("l", srv.Dir)
	os.WriteFile(filepath.Join(srv.Dir, "big"), randomBytes(5<<20, 98), 0o644)
	want, _ := local.SHA256(ctx, "big")
	for i := range 3 {
		if got, err := h.SHA256(ctx, "big"); err != nil || got != want {
			t.Fatalf("hash %d: %q, %v; want %q", i, got, err, want)
		}
	}
	if got := srv.Execs(); got != 1 {
		t.Errorf("%d exec sessions for 3 hashes, want 1 (the hash shell)", got)
	}
}

// TestBusyShell: a batch waits for the busy hash shell instead of
// starting a second login shell; a large file's hash starts a second
// shell beside the busy one.
func TestBusyShell(t *testing.T) {
	// openssl, except that hashing a file named "gated" waits for the
	// file "open" (and first says so by creating "busy").
	gate := t.TempDir()
	bin := wrappedOpenSSL(t, "case \"$*\" in *gated*) : > "+gate+"/busy\n"+
		"  while [ ! -e "+gate+"/open ]; do sleep 0.01; done;; esac")
	srv := sshtest.StartInProcess(t)
	t.Cleanup(func() { os.WriteFile(filepath.Join(gate, "open"), nil, 0o644) }) // before the server's
	srv.SetExecEnv("PATH=" + bin + ":/usr/bin:/bin")
	h := srv.Host(t, "remote")
	ctx := context.Background()
	local := hosts.NewLocal("l", srv.Dir)
	files := map[string][]byte{"gated": randomBytes(1000, 1), "a": randomBytes(2000, 2), "big": randomBytes(5<<20, 3)}
	want := map[string]string{}
	for name, data := range files {
		os.WriteFile(filepath.Join(srv.Dir, name), data, 0o644)
		want[name], _ = local.SHA256(ctx, name)
	}
	batch := func(name string) error {
		got, ok, err := hosts.SHA256Many(ctx, h, "", []string{name})
		if err != nil || !ok || len(got) != 1 || got[0] != want[name] {
			return fmt.Errorf("batch %s: %q, %v, %v; want %s", name, got, ok, err, want[name])
		}
		return nil
	}
	if err := batch("a"); err != nil { // the first shell, idle after
		t.Fatal(err)
	}
	gated := make(chan error, 1)
	go func() { gated <- batch("gated") }()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if _, err := os.Stat(filepath.Join(gate, "busy")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the gated hash never started")
		}
	}
	waiting := make(chan error, 1)
	go func() { waiting <- batch("a") }()
	select {
	case err := <-waiting:
		t.Fatalf("a batch finished while the only shell was busy (%v): it started another", err)
	case <-time.After(300 * time.Millisecond):
	}
	if got, err := h.SHA256(ctx, "big"); err != nil || got != want["big"] {
		t.Fatalf("large file beside a busy shell: %q, %v; want %s", got, err, want["big"])
	}
	if n := srv.Execs(); n != 2 {
		t.Errorf("%d exec sessions after a large file's hash beside a busy shell, want 2", n)
	}
	if err := <-waiting; err != nil { // in the second shell, now idle
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(gate, "open"), nil, 0o644)
	if err := <-gated; err != nil {
		t.Fatal(err)
	}
	if n := srv.Execs(); n != 2 {
		t.Errorf("%d exec sessions in all, want 2", n)
	}
}

// TestSplitBatch: a batch large enough to be hashed by two processes at
// once gives every file's digest in order, with either hash tool, and a
// file missing from either half fails the batch, naming it.
func TestSplitBatch(t *testing.T) {
	const n = 301 // halves of 150 and 151
	for name, tc := range map[string]struct {
		sha256sum bool // the host has only sha256sum (else openssl, counting its runs)
		missing   int  // index of a file that does not exist, or -1
	}{
		"openssl":                    {missing: -1},
		"sha256sum":                  {sha256sum: true, missing: -1},
		"missing in the first half":  {missing: 7},
		"missing in the second half": {missing: n - 2},
		"sha256sum, missing":         {sha256sum: true, missing: 200},
	} {
		t.Run(name, func(t *testing.T) {
			runs := filepath.Join(t.TempDir(), "runs")
			var path string
			if tc.sha256sum {
				path = sha256sumOnly(t)
			} else {
				path = wrappedOpenSSL(t, "echo >> "+runs)
			}
			srv := sshtest.StartInProcess(t)
			srv.SetExecEnv("PATH=" + path)
			h := srv.Host(t, "remote")
			ctx := context.Background()
			local := hosts.NewLocal("l", srv.Dir)
			os.Mkdir(filepath.Join(srv.Dir, "b"), 0o755)
			names := make([]string, n)
			want := make([]string, n)
			for i := range names {
				names[i] = fmt.Sprintf("f %03d", i) // a space: quoted
				if i == tc.missing {
					continue
				}
				os.WriteFile(filepath.Join(srv.Dir, "b", names[i]), randomBytes(100+i, uint64(i)), 0o644)
				want[i], _ = local.SHA256(ctx, filepath.Join("b", names[i]))
			}
			got, ok, err := hosts.SHA256Many(ctx, h, "b", names)
			if tc.missing >= 0 {
				if err == nil || !strings.Contains(err.Error(), names[tc.missing]) {
					t.Fatalf("batch with %s missing: %v, %v; want an error naming it", names[tc.missing], ok, err)
				}
				return
			}
			if err != nil || !ok {
				t.Fatalf("batch: ok=%v, %v", ok, err)
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("digest %d (%s) = %q, want %q", i, names[i], got[i], want[i])
				}
			}
			if n := srv.Execs(); n != 1 {
				t.Errorf("%d exec sessions, want 1 (the hash shell)", n)
			}
			if !tc.sha256sum {
				os.Remove(runs)
				if _, _, err := hosts.SHA256Many(ctx, h, "b", names); err != nil {
					t.Fatal(err)
				}
				if b, _ := os.ReadFile(runs); len(b) != 2 {
					t.Errorf("openssl ran %d times for %d files, want 2 (two halves at once)", len(b), n)
				}
			}
		})
	}
}

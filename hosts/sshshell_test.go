package hosts_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

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

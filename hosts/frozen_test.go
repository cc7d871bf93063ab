package hosts_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/planrun/planrun/hosts"
	"github.com/planrun/planrun/hosts/sshtest"
)

// TestSSHFrozenServer: when the server stops answering (a dead network
// path: no reset, no replies) every operation still ends with its
// context, within the grace a live server would need, instead of waiting
// for the keepalives to give the connection up (about a minute).
func TestSSHFrozenServer(t *testing.T) {
	defer hosts.SetDeadGrace(500 * time.Millisecond)()
	srv := sshtest.StartInProcess(t)
	h := srv.NewHost(t, "remote")
	local := hosts.NewLocal("local", "")
	src := t.TempDir()
	for _, n := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
		if err := os.WriteFile(filepath.Join(src, n), make([]byte, 8<<20), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	if _, err := hosts.Copy(ctx, local, src, h, "tree", hosts.CopyOptions{}); err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		op       func(ctx context.Context) error
		freezeIn time.Duration // after the operation starts; 0 = before
	}{
		"stat":    {op: func(ctx context.Context) error { _, err := h.Stat(ctx, "tree"); return err }},
		"readdir": {op: func(ctx context.Context) error { _, err := h.ReadDir(ctx, "tree"); return err }},
		"exec":    {op: func(ctx context.Context) error { _, err := h.Exec(ctx, hosts.Command{Path: "true"}); return err }},
		"exec, frozen while it runs": {freezeIn: 200 * time.Millisecond, op: func(ctx context.Context) error {
			_, err := h.Exec(ctx, hosts.Command{Path: "sleep", Args: []string{"5"}})
			return err
		}},
		"read": {op: func(ctx context.Context) error {
			f, err := h.Open(ctx, "tree/a")
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = io.Copy(io.Discard, f)
			return err
		}},
		"copy up, frozen midway": {freezeIn: 30 * time.Millisecond, op: func(ctx context.Context) error {
			_, err := hosts.Copy(ctx, local, src, h, "up", hosts.CopyOptions{})
			return err
		}},
		"copy down, frozen midway": {freezeIn: 30 * time.Millisecond, op: func(ctx context.Context) error {
			_, err := hosts.Copy(ctx, h, "tree", local, filepath.Join(t.TempDir(), "down"), hosts.CopyOptions{})
			return err
		}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := h.Stat(ctx, "."); err != nil { // a live connection to freeze
				t.Fatal(err)
			}
			defer srv.CloseConnections()
			if tc.freezeIn == 0 {
				srv.Freeze()
			} else {
				defer time.AfterFunc(tc.freezeIn, srv.Freeze).Stop()
			}
			opCtx, cancel := context.WithTimeout(ctx, time.Second)
			defer cancel()
			start := time.Now()
			err := tc.op(opCtx)
			took := time.Since(start)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("err = %v, want the context's deadline", err)
			}
			// 1 s of context and 0.5 s of grace (5 s to kill a command);
			// the keepalives alone would take about a minute.
			if took > 15*time.Second {
				t.Errorf("returned after %v", took)
			}
		})
	}
}

// TestSSHSilentAfterHandshake: a server that completes the SSH handshake
// but never answers the SFTP session's start is given up with the connect
// timeout, and the error says so.
func TestSSHSilentAfterHandshake(t *testing.T) {
	srv := sshtest.StartInProcess(t)
	srv.SilentSFTP(true)
	spec := srv.Spec()
	// Long enough for the handshake even in a loaded -race run; the SFTP
	// start then uses up the rest.
	spec.ConnectTimeout = "4s"
	h, err := hosts.NewSSH("silent", spec, hosts.SSHOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	start := time.Now()
	_, err = h.Stat(context.Background(), ".")
	if want := "start sftp: connect timeout 4s exceeded"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("err = %v, want it to contain %q", err, want)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("returned after %v", took)
	}
	srv.SilentSFTP(false)
	if _, err := h.Stat(context.Background(), "."); err != nil {
		t.Errorf("once the server answers: %v", err)
	}
}

// TestSSHMaxSessions: a server that allows fewer sessions than planrun
// opens at once refuses some ("connect failed"); the command waits for a
// session to close and runs, as it does when a session just closed here
// still counts there - also when the command holding the session runs
// longer than the few seconds a refusal is otherwise retried for.
func TestSSHMaxSessions(t *testing.T) {
	// Three SFTP sessions and one more: concurrent commands must share it.
	srv := sshtest.StartSSHDWith(t, "MaxSessions 4")
	h := srv.NewHost(t, "sshd")
	for _, tc := range []struct {
		n     int
		sleep string
	}{{3, "0.2"}, {2, "2.5"}} {
		runConcurrently(t, h, tc.n, tc.sleep)
	}
	// An idle hash shell (left by hashing files) holds the one session
	// commands can have: it is closed for the command.
	os.WriteFile(filepath.Join(srv.Dir, "f"), []byte("x"), 0o644)
	hh := srv.Host(t, "sshd-hash") // rooted in srv.Dir
	if _, err := hosts.Copy(context.Background(), hh, "f", hh, "g", hosts.CopyOptions{}); err != nil {
		t.Fatal(err)
	}
	runConcurrently(t, hh, 1, "0")
}

func runConcurrently(t *testing.T, h hosts.Host, n int, sleep string) {
	ctx := context.Background()
	errs := make(chan error, n)
	for range n {
		go func() {
			res, err := h.Exec(ctx, hosts.Command{Path: "sleep", Args: []string{sleep}})
			if err == nil && res.ExitCode != 0 {
				err = fmt.Errorf("exit %d: %s", res.ExitCode, res.Stderr)
			}
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Errorf("%d commands of sleep %s at once: %v", n, sleep, err)
		}
	}
}

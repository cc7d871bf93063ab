package hosts_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/planrun/planrun/hosts"
	"github.com/planrun/planrun/hosts/sshtest"
	"github.com/planrun/planrun/internal/testfs"
)

func randomBytes(n int, seed uint64) []byte {
	var s [32]byte
	s[0] = byte(seed)
	b := make([]byte, n)
	rand.NewChaCha8(s).Read(b)
	return b
}

// sha256sumOnly returns a directory whose only command is sha256sum, for
// a server's PATH (a host without openssl). The test is skipped where
// sha256sum is not installed.
func sha256sumOnly(t *testing.T) string {
	t.Helper()
	sum, err := exec.LookPath("sha256sum")
	if err != nil {
		t.Skip("sha256sum not installed")
	}
	bin := t.TempDir()
	if err := os.Symlink(sum, filepath.Join(bin, "sha256sum")); err != nil {
		t.Fatal(err)
	}
	return bin
}

// wrappedOpenSSL returns a directory holding an openssl that runs the
// shell lines pre, then the real openssl with its arguments. The test is
// skipped where openssl is not installed.
func wrappedOpenSSL(t *testing.T, pre string) string {
	t.Helper()
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not installed")
	}
	bin := t.TempDir()
	script := "#!/bin/sh\n" + pre + "\nexec " + openssl + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(bin, "openssl"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return bin
}

// loginShellServer starts an in-process server whose user's login shell
// is the sh script body (which sshd would run each command line with, as
// "SHELL -c LINE").
func loginShellServer(t *testing.T, body string) *sshtest.Server {
	t.Helper()
	shell := filepath.Join(t.TempDir(), "login-shell")
	if err := os.WriteFile(shell, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	srv := sshtest.StartInProcess(t)
	srv.SetShell(shell)
	return srv
}

// tempLeftovers lists temp files under dir.
func tempLeftovers(t *testing.T, dir string) []string {
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".planrun-tmp") {
			out = append(out, p)
		}
		return nil
	})
	return out
}

func TestDroppedConnectionMidTransfer(t *testing.T) {
	srv := sshtest.StartInProcess(t)
	dst := srv.Host(t, "remote")
	src := hosts.NewLocal("local", t.TempDir())
	ctx := context.Background()
	big := randomBytes(8<<20, 1)
	os.MkdirAll(filepath.Join(src.Root(), "m/sub"), 0o755)
	os.WriteFile(filepath.Join(src.Root(), "m/zz-big.bin"), big, 0o644)
	for i := range 20 {
		os.WriteFile(filepath.Join(src.Root(), "m/sub", string(rune('a'+i))), randomBytes(10_000, uint64(i)), 0o644)
	}
	srv.DropAfter(3 << 20)
	_, err := hosts.Copy(ctx, src, "m", dst, "m", hosts.CopyOptions{Parallel: 1})
	if err == nil {
		t.Fatal("copy across a dropped connection: no error")
	}
	firstErr := err
	if !strings.Contains(err.Error(), "write remote:") {
		t.Errorf("error %q: want it to name the write on remote", err)
	}
	if srv.Drops() != 1 {
		t.Fatalf("server cut %d connections, want 1", srv.Drops())
	}
	// Whatever is under a final name must be complete and correct.
	if b, err := os.ReadFile(filepath.Join(srv.Dir, "m/zz-big.bin")); err == nil && !bytes.Equal(b, big) {
		t.Fatal("corrupt big.bin under its final name after the drop")
	}
	// The retry reconnects and finishes, without resending finished files.
	res, err := hosts.Copy(ctx, src, "m", dst, "m", hosts.CopyOptions{Parallel: 4})
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	t.Logf("first attempt: %v; retry: %+v", firstErr, res)
	if res.Files != 21 || res.Skipped == 0 || res.Sent >= res.Bytes {
		t.Errorf("retry result %+v: want the files finished before the drop skipped", res)
	}
	if b, err := os.ReadFile(filepath.Join(srv.Dir, "m/zz-big.bin")); err != nil || !bytes.Equal(b, big) {
		t.Errorf("big.bin after the retry: %d bytes, %v", len(b), err)
	}
	if left := tempLeftovers(t, srv.Dir); len(left) != 0 {
		t.Errorf("temp files left: %v", left)
	}
}

// TestDroppedSourceMidTransfer: a connection lost to the host copied
// from is reported as reading that host's file, not as a failed write
// of the local copy; nothing is under the final name until a retry
// finishes the copy.
func TestDroppedSourceMidTransfer(t *testing.T) {
	srv := sshtest.StartInProcess(t)
	src := srv.Host(t, "remote")
	dst := hosts.NewLocal("local", t.TempDir())
	big := randomBytes(8<<20, 2)
	os.MkdirAll(filepath.Join(srv.Dir, "m"), 0o755)
	os.WriteFile(filepath.Join(srv.Dir, "m/big.bin"), big, 0o644)
	srv.DropAfterSent(3 << 20)
	_, err := hosts.Copy(context.Background(), src, "m", dst, "m", hosts.CopyOptions{Parallel: 1})
	if err == nil {
		t.Fatal("copy across a dropped connection: no error")
	}
	if !strings.Contains(err.Error(), "read remote:m/big.bin: ") || strings.Contains(err.Error(), "write ") {
		t.Errorf("error %q: want it to name the read of remote:m/big.bin, and no write", err)
	}
	if _, serr := os.Stat(filepath.Join(dst.Root(), "m/big.bin")); serr == nil {
		t.Error("big.bin is under its final name after the drop")
	}
	if _, err := hosts.Copy(context.Background(), src, "m", dst, "m", hosts.CopyOptions{}); err != nil {
		t.Fatalf("retry: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(dst.Root(), "m/big.bin")); err != nil || !bytes.Equal(b, big) {
		t.Errorf("big.bin after the retry: %d bytes, %v", len(b), err)
	}
	if left := tempLeftovers(t, dst.Root()); len(left) != 0 {
		t.Errorf("temp files left: %v", left)
	}
}

func TestReconnectAfterDrop(t *testing.T) {
	srv := sshtest.StartInProcess(t)
	h := srv.Host(t, "remote")
	ctx := context.Background()
	if _, err := h.Stat(ctx, "."); err != nil {
		t.Fatal(err)
	}
	srv.CloseConnections()
	deadline := time.Now().Add(5 * time.Second)
	var err error
	for time.Now().Before(deadline) {
		if _, err = h.Stat(ctx, "."); err == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no reconnect: %v", err)
}

func TestFullDestination(t *testing.T) {
	srv := sshtest.StartInProcess(t)
	dst := srv.Host(t, "remote")
	src := hosts.NewLocal("local", t.TempDir())
	os.WriteFile(filepath.Join(src.Root(), "model.zip"), randomBytes(3<<20, 7), 0o644)
	old := []byte("previous version")
	os.WriteFile(filepath.Join(srv.Dir, "model.zip"), old, 0o644)
	srv.SetQuota(1 << 20)
	_, err := hosts.Copy(context.Background(), src, "model.zip", dst, "model.zip", hosts.CopyOptions{})
	t.Log(err)
	if err == nil || !strings.Contains(err.Error(), "no space left on device") {
		t.Fatalf("error %v, want one saying no space left on device", err)
	}
	if b, _ := os.ReadFile(filepath.Join(srv.Dir, "model.zip")); !bytes.Equal(b, old) {
		t.Errorf("final name holds %d bytes, want the previous content untouched", len(b))
	}
	if left := tempLeftovers(t, srv.Dir); len(left) != 0 {
		t.Errorf("temp files left: %v", left)
	}
}

// TestFullRemoteFileSystem: OpenSSH's SFTP server answers a full disk
// and a read-only file system with a bare "Failure"; the error says
// which (asked with its statvfs extension), and leaves nothing under the
// final name. It needs root to mount a small tmpfs, and says so when it
// skips.
func TestFullRemoteFileSystem(t *testing.T) {
	mnt := testfs.Tmpfs(t, "full remote file system", "256k")
	srv := sshtest.StartSSHD(t)
	dst := srv.Host(t, "remote")
	src := hosts.NewLocal("local", t.TempDir())
	os.MkdirAll(filepath.Join(src.Root(), "m/sub"), 0o755)
	os.WriteFile(filepath.Join(src.Root(), "m/sub/big.bin"), randomBytes(1<<20, 3), 0o644)
	ctx := context.Background()

	_, err := hosts.Copy(ctx, src, "m", dst, mnt+"/m", hosts.CopyOptions{})
	t.Log(err)
	if err == nil || !strings.Contains(err.Error(), "(no space left on the file system there: ") {
		t.Errorf("full: error %v, want one saying no space is left", err)
	}
	if _, serr := os.Stat(filepath.Join(mnt, "m/sub/big.bin")); serr == nil {
		t.Error("full: big.bin is under its final name")
	}

	os.RemoveAll(filepath.Join(mnt, "m"))
	os.RemoveAll(filepath.Join(mnt, ".m.planrun-tmp"))
	testfs.Remount(t, mnt, "ro")
	defer exec.Command("mount", "-o", "remount,rw", mnt).Run()
	_, err = hosts.Copy(ctx, src, "m", dst, mnt+"/m", hosts.CopyOptions{})
	t.Log(err)
	if err == nil || !strings.Contains(err.Error(), "(the file system there is read-only)") {
		t.Errorf("read-only: error %v, want one saying the file system is read-only", err)
	}
}

func TestHostKeyRefused(t *testing.T) {
	tests := map[string]struct {
		setup func(t *testing.T, srv *sshtest.Server) hosts.Spec
		want  []string
	}{
		"changed": {
			setup: func(t *testing.T, srv *sshtest.Server) hosts.Spec {
				srv.ChangeHostKey(t)
				return srv.Spec()
			},
			want: []string{"has CHANGED", "ssh-keygen -R"},
		},
		"unknown": {
			setup: func(t *testing.T, srv *sshtest.Server) hosts.Spec {
				spec := srv.Spec()
				spec.KnownHosts = filepath.Join(t.TempDir(), "known_hosts")
				os.WriteFile(spec.KnownHosts, nil, 0o644)
				return spec
			},
			want: []string{"is unknown", "ssh-keyscan -p"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			srv := sshtest.StartInProcess(t)
			spec := tc.setup(t, srv)
			h, err := hosts.NewSSH("remote", spec, hosts.SSHOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close()
			_, err = h.Stat(context.Background(), ".")
			t.Log(err)
			var hk *hosts.HostKeyError
			if !errors.As(err, &hk) {
				t.Fatalf("error %v, want a HostKeyError", err)
			}
			fp := ssh.FingerprintSHA256(srv.HostKey.Public())
			if hk.Fingerprint != fp {
				t.Errorf("fingerprint %s, want the server's %s", hk.Fingerprint, fp)
			}
			for _, w := range append(tc.want, fp) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("message %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestWrongUserKeyRefused(t *testing.T) {
	srv := sshtest.StartInProcess(t)
	spec := srv.Spec()
	spec.IdentityFiles = []string{filepath.Join(t.TempDir(), "other_key")}
	sshtest.NewKey(t).WriteFile(t, spec.IdentityFiles[0])
	h, _ := hosts.NewSSH("remote", spec, hosts.SSHOptions{})
	defer h.Close()
	_, err := h.Stat(context.Background(), ".")
	if err == nil || !strings.Contains(err.Error(), "unable to authenticate") {
		t.Fatalf("error %v, want an authentication failure", err)
	}
}

func TestMissingKnownHostsFile(t *testing.T) {
	srv := sshtest.StartInProcess(t)
	spec := srv.Spec()
	spec.KnownHosts = filepath.Join(t.TempDir(), "nope")
	h, _ := hosts.NewSSH("remote", spec, hosts.SSHOptions{})
	defer h.Close()
	_, err := h.Stat(context.Background(), ".")
	if err == nil || !strings.Contains(err.Error(), "known_hosts file") {
		t.Fatalf("error %v", err)
	}
}

// TestConnectTimeout: a server that accepts and never speaks is given up
// at the connect timeout. Callers that were waiting for that dial get its
// error instead of each dialling in turn (a dead host costs its steps one
// timeout); a later caller dials again.
func TestConnectTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0") // accepts, never speaks
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var accepted atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			defer c.Close()
		}
	}()
	srv := sshtest.StartInProcess(t)
	spec := srv.Spec()
	spec.SSH = srv.User + "@" + ln.Addr().String()
	spec.ConnectTimeout = "1s"
	h, _ := hosts.NewSSH("silent", spec, hosts.SSHOptions{})
	defer h.Close()
	errs := make(chan error, 4)
	for range 4 {
		go func() { _, err := h.Stat(context.Background(), "."); errs <- err }()
	}
	for range 4 {
		if err := <-errs; err == nil || !strings.Contains(err.Error(), "connect timeout 1s exceeded") {
			t.Errorf("error %v", err)
		}
	}
	if n := accepted.Load(); n != 1 {
		t.Errorf("4 callers at once dialled %d times, want 1", n)
	}
	if _, err := h.Stat(context.Background(), "."); err == nil || accepted.Load() != 2 {
		t.Errorf("a later caller: %v, %d dials in all (want 2)", err, accepted.Load())
	}
}

func TestJumpHost(t *testing.T) {
	bastion := sshtest.StartInProcess(t)
	inner := sshtest.StartInProcess(t)
	innerSpec := inner.Spec()
	innerSpec.Jump = "bastion"
	pool := hosts.NewPool(map[string]hosts.Spec{"bastion": bastion.Spec(), "inner": innerSpec}, hosts.PoolOptions{})
	defer pool.Close()
	ctx := context.Background()
	h, err := pool.Host(ctx, "inner")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(inner.Dir, "hello"), []byte("through the bastion"), 0o644)
	sum, err := h.SHA256(ctx, "hello")
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := hosts.NewLocal("l", inner.Dir).SHA256(ctx, "hello"); sum != want {
		t.Errorf("sha256 %s, want %s", sum, want)
	}
	res, err := h.Exec(ctx, hosts.Command{Path: "cat", Args: []string{"hello"}})
	if err != nil || string(res.Stdout) != "through the bastion" {
		t.Errorf("exec through jump: %q, %v", res.Stdout, err)
	}
	if inner.Execs() != 1 || bastion.Execs() != 0 {
		t.Errorf("execs inner=%d bastion=%d, want 1 and 0", inner.Execs(), bastion.Execs())
	}
}

// TestSSHTarget: an inventory entry's ssh: address, read with no
// ssh_config.
func TestSSHTarget(t *testing.T) {
	tests := map[string]struct{ in, user, addr, err string }{
		"user host":      {in: "app@10.1.0.5", user: "app", addr: "10.1.0.5:22"},
		"user host port": {in: "app@h:2222", user: "app", addr: "h:2222"},
		"ipv6":           {in: "app@[::1]:2200", user: "app", addr: "[::1]:2200"},
		"bad port":       {in: "app@h:99999", err: "bad port"},
		"empty user":     {in: "@h", err: "empty user"},
		"empty":          {in: "", err: "empty address"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			h, err := hosts.NewSSH("x", hosts.Spec{SSH: tc.in, SSHConfig: "none"}, hosts.SSHOptions{})
			var u, a string
			if err == nil {
				u, a = hosts.User(h), h.Addr()
			}
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || u != tc.user || a != tc.addr {
				t.Errorf("got %q %q %v", u, a, err)
			}
		})
	}
}

func TestSHA256WithoutHashTools(t *testing.T) {
	srv := sshtest.StartInProcess(t)
	srv.SetExecEnv("PATH=/planrun-nowhere")
	h := srv.Host(t, "remote")
	data := randomBytes(5<<20, 3) // above the size hashed by streaming anyway
	os.WriteFile(filepath.Join(srv.Dir, "big"), data, 0o644)
	ctx := context.Background()
	for range 2 { // the second time knows sha256sum is missing
		got, err := h.SHA256(ctx, "big")
		want, _ := hosts.NewLocal("l", srv.Dir).SHA256(ctx, "big")
		if err != nil || got != want {
			t.Fatalf("sha256 = %q, %v; want %q", got, err, want)
		}
	}
	if n := srv.Execs(); n != 1 {
		t.Errorf("%d exec requests, want 1 (the hash shell, in which openssl and sha256sum are tried once each, then streamed)", n)
	}
}

func TestSHA256FallsBackToSha256sum(t *testing.T) {
	bin := sha256sumOnly(t)
	srv := sshtest.StartInProcess(t)
	srv.SetExecEnv("PATH=" + bin) // sha256sum, no openssl
	h := srv.Host(t, "remote")
	os.WriteFile(filepath.Join(srv.Dir, "big"), randomBytes(5<<20, 4), 0o644)
	ctx := context.Background()
	want, _ := hosts.NewLocal("l", srv.Dir).SHA256(ctx, "big")
	for range 2 {
		if got, err := h.SHA256(ctx, "big"); err != nil || got != want {
			t.Fatalf("sha256 = %q, %v; want %q", got, err, want)
		}
	}
	if n := srv.Execs(); n != 1 {
		t.Errorf("%d exec requests, want 1 (the hash shell runs openssl, missing, once, then sha256sum twice)", n)
	}
}

// TestSHA256OddNameKeepsTheTool: a large file whose name sha256sum prints
// escaped (coreutils 9 escapes a carriage return) is hashed by streaming,
// and the host's sha256sum still hashes the next large file.
func TestSHA256OddNameKeepsTheTool(t *testing.T) {
	sum, err := exec.LookPath("sha256sum")
	if err != nil {
		t.Skip("sha256sum not installed")
	}
	bin, log := t.TempDir(), filepath.Join(t.TempDir(), "runs")
	script := "#!/bin/sh\necho \"$@\" >> " + log + "\nexec " + sum + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(bin, "sha256sum"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	srv := sshtest.StartInProcess(t)
	srv.SetExecEnv("PATH=" + bin) // sha256sum, no openssl
	h := srv.Host(t, "remote")
	ctx := context.Background()
	for i, name := range []string{"big\r", "big"} {
		os.WriteFile(filepath.Join(srv.Dir, name), randomBytes(5<<20, uint64(10+i)), 0o644)
		want, _ := hosts.NewLocal("l", srv.Dir).SHA256(ctx, name)
		if got, err := h.SHA256(ctx, name); err != nil || got != want {
			t.Fatalf("sha256 of %q = %q, %v; want %q", name, got, err, want)
		}
	}
	runs, _ := os.ReadFile(log)
	if lines := strings.Split(strings.TrimSuffix(string(runs), "\n"), "\n"); len(lines) != 1 || !strings.HasSuffix(lines[0], "/big") {
		t.Errorf("sha256sum ran for %q, want once, for big", runs)
	}
}

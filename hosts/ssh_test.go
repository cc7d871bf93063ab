package hosts_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/planrun/planrun/hosts"
	"github.com/planrun/planrun/hosts/hoststest"
	"github.com/planrun/planrun/hosts/sshtest"
)

func TestInProcessSSHConformance(t *testing.T) {
	srv := sshtest.StartInProcess(t)
	hoststest.Run(t, func(t *testing.T) hosts.Host { return srv.NewHost(t, "remote") })
}

func TestOpenSSHConformance(t *testing.T) {
	srv := sshtest.StartSSHD(t)
	hoststest.Run(t, func(t *testing.T) hosts.Host { return srv.NewHost(t, "sshd") })
}

// TestSFTPPacketSize: a server that announces OpenSSH's limits gets
// 255 KiB requests, others the 32 KiB every server takes; files whose
// size is no multiple of either go both ways intact.
func TestSFTPPacketSize(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		srv  func(testing.TB) *sshtest.Server
		want int
	}{
		{"openssh", sshtest.StartSSHD, hosts.SFTPOpenSSHPacket},
		{"in-process", sshtest.StartInProcess, hosts.SFTPMaxPacket},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := tc.srv(t)
			h := srv.Host(t, "remote")
			if got, err := hosts.PacketSize(ctx, h); err != nil || got != tc.want {
				t.Fatalf("packet size %d, %v; want %d", got, err, tc.want)
			}
			data := randomBytes(3*hosts.SFTPOpenSSHPacket+12345, 77)
			w, err := h.Create(ctx, "up.bin", 0o644)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.Copy(w, bytes.NewReader(data)); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if got, err := os.ReadFile(filepath.Join(srv.Dir, "up.bin")); err != nil || !bytes.Equal(got, data) {
				t.Fatalf("uploaded file: %d bytes, %v; want the %d sent", len(got), err, len(data))
			}
			r, err := h.Open(ctx, "up.bin")
			if err != nil {
				t.Fatal(err)
			}
			var back bytes.Buffer
			if _, err := io.Copy(&back, r); err != nil {
				t.Fatal(err)
			}
			r.Close()
			if !bytes.Equal(back.Bytes(), data) {
				t.Fatalf("downloaded %d bytes, not the %d uploaded", back.Len(), len(data))
			}
		})
	}
}

// TestLoginShellConformance runs the conformance suite against a server
// whose user's login shell is not a POSIX shell (fish, tcsh), when the
// shell is installed: sshd hands every command line to that shell, so
// planrun's must mean the same to it.
func TestLoginShellConformance(t *testing.T) {
	for _, shell := range []string{"fish", "tcsh"} {
		t.Run(shell, func(t *testing.T) {
			path, err := exec.LookPath(shell)
			if err != nil {
				t.Skipf("SKIP: %s not installed (apt-get install %s)", shell, shell)
			}
			srv := sshtest.StartInProcess(t)
			srv.SetShell(path)
			hoststest.Run(t, func(t *testing.T) hosts.Host { return srv.NewHost(t, "remote") })
		})
	}
}

// TestSFTPRefused: a server without SFTP says so, and what to change.
func TestSFTPRefused(t *testing.T) {
	srv := sshtest.StartInProcess(t)
	srv.RefuseSFTP()
	_, err := srv.NewHost(t, "nosftp").Stat(context.Background(), ".")
	if err == nil || !strings.Contains(err.Error(), "start sftp: ssh: subsystem request failed: the server refuses SFTP") ||
		!strings.Contains(err.Error(), "`Subsystem sftp`") {
		t.Errorf("connect to a server without SFTP: %v; want it to say the server refuses SFTP", err)
	}
}

// TestSFTPGreeting: when the SFTP server prints text before its first
// answer (sshd starts an external sftp-server through a login shell whose
// ~/.bashrc prints), connecting fails with that text and the remedy, not
// only "packet too long".
func TestSFTPGreeting(t *testing.T) {
	for name, start := range map[string]func(t *testing.T) *sshtest.Server{
		"in-process": func(t *testing.T) *sshtest.Server {
			srv := sshtest.StartInProcess(t)
			srv.GreetSFTP("Welcome to the cluster\n")
			return srv
		},
		"OpenSSH": func(t *testing.T) *sshtest.Server {
			// sshd runs a forced command for every session, the SFTP
			// subsystem included, through the user's login shell.
			return sshtest.StartSSHDWith(t, `ForceCommand printf 'Welcome to the cluster\n'; exec /usr/lib/openssh/sftp-server`)
		},
	} {
		t.Run(name, func(t *testing.T) {
			h := start(t).NewHost(t, "greeter")
			_, err := h.Stat(context.Background(), ".")
			if err == nil {
				t.Fatal("connected, want an error")
			}
			for _, want := range []string{`start sftp:`, `the SFTP server printed "Welcome to the cluster\n" before its first answer`,
				"make them print only in interactive shells"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
		})
	}
}

package sshtest

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// SSHDPath is where the OpenSSH server is looked for.
var SSHDPath = "/usr/sbin/sshd"

// StartSSHD starts OpenSSH's sshd on a free 127.0.0.1 port as the current
// user, with a generated host key, the user key authorised and its own
// sshd_config (no PAM, default MaxSessions, internal-sftp), stopped when
// the test ends. It skips the test when sshd is not installed.
func StartSSHD(t testing.TB) *Server {
	t.Helper()
	return StartSSHDWith(t)
}

// StartSSHDWith is StartSSHD with extra lines in the sshd_config.
func StartSSHDWith(t testing.TB, extra ...string) *Server {
	t.Helper()
	if _, err := os.Stat(SSHDPath); err != nil {
		t.Skip("sshd not installed: apt-get install openssh-server")
	}
	if os.Geteuid() == 0 {
		// sshd running as root needs its privilege-separation directory.
		if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
			t.Skipf("sshd cannot run: create /run/sshd: %v", err)
		}
	}
	base := t.TempDir()
	s := newServer(t, base)
	hostKey := filepath.Join(base, "ssh_host_ed25519_key")
	s.HostKey.WriteFile(t, hostKey)
	WriteCert(t, hostKey+"-cert.pub", HostCert(t, s.HostKey, s.HostCA, "127.0.0.1"))
	auth := filepath.Join(base, "authorized_keys")
	if err := os.WriteFile(auth, s.UserKey.AuthorizedKey(), 0o600); err != nil {
		t.Fatal(err)
	}
	ca := filepath.Join(base, "user_ca.pub")
	if err := os.WriteFile(ca, s.UserCA.AuthorizedKey(), 0o600); err != nil {
		t.Fatal(err)
	}
	var lastErr error
	for range 3 {
		s.Addr = freeAddr(t)
		_, port, _ := net.SplitHostPort(s.Addr)
		cfg := filepath.Join(base, "sshd_config")
		conf := strings.Join([]string{
			"Port " + port,
			"ListenAddress 127.0.0.1",
			"HostKey " + hostKey,
			"HostCertificate " + hostKey + "-cert.pub",
			"PidFile " + filepath.Join(base, "sshd.pid"),
			"AuthorizedKeysFile " + auth,
			"TrustedUserCAKeys " + ca,
			"PubkeyAuthentication yes",
			"PasswordAuthentication no",
			"KbdInteractiveAuthentication no",
			"UsePAM no",
			"StrictModes no",
			"PermitRootLogin prohibit-password",
			"Subsystem sftp internal-sftp",
			"LogLevel ERROR",
		}, "\n") + "\n" + strings.Join(append(extra, ""), "\n")
		if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		cmd := exec.Command(SSHDPath, "-D", "-e", "-f", cfg)
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatalf("start sshd: %v", err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		if err := waitBanner(s.Addr, exited); err != nil {
			cmd.Process.Kill()
			lastErr = fmt.Errorf("%w: %s", err, strings.TrimSpace(stderr.String()))
			continue
		}
		t.Cleanup(func() {
			cmd.Process.Kill()
			<-exited
		})
		s.KnownHosts = filepath.Join(base, "known_hosts")
		WriteKnownHosts(t, s.KnownHosts, s.Addr, s.HostKey.Public())
		return s
	}
	t.Fatalf("start sshd: %v", lastErr)
	return nil
}

// waitBanner waits until addr answers with an SSH banner.
func waitBanner(addr string, exited <-chan error) error {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("sshd exited: %v", err)
		default:
		}
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.SetReadDeadline(time.Now().Add(2 * time.Second))
			line, _ := bufio.NewReader(c).ReadString('\n')
			c.Close()
			if strings.HasPrefix(line, "SSH-") {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("sshd did not answer on %s within 10s", addr)
}

package hosts_test

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/planrun/planrun/hosts"
	"github.com/planrun/planrun/hosts/hoststest"
	"github.com/planrun/planrun/hosts/sshtest"
)

// proxyEnv makes the test binary a ProxyCommand: it connects to the
// address in the variable and copies between that connection and its
// standard input and output, as `nc` or `ssh -W` would.
const proxyEnv = "PLANRUN_TEST_PROXY_TO"

func TestMain(m *testing.M) {
	if addr := os.Getenv(proxyEnv); addr != "" {
		os.Exit(proxyMain(addr))
	}
	os.Exit(m.Run())
}

func proxyMain(addr string) int {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "test proxy:", err)
		return 1
	}
	go func() {
		io.Copy(c, os.Stdin)
		c.(*net.TCPConn).CloseWrite()
	}()
	io.Copy(os.Stdout, c)
	return 0
}

// testProxy is a ProxyCommand that runs this test binary as the proxy
// to %h:%p, first adding its pid to the file pids (when set).
func testProxy(t *testing.T, pids string) string {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := "env " + proxyEnv + "=%h:%p " + self
	if pids != "" {
		cmd = "sh -c 'echo $$ >> " + pids + "; exec " + cmd + "'"
	}
	return "ProxyCommand " + cmd
}

// proxySpec reaches s as "a" through an ssh_config whose ProxyCommand is
// proxy.
func proxySpec(t *testing.T, s *sshtest.Server, proxy string) hosts.Spec {
	return hosts.Spec{SSH: "a", SSHConfig: writeConfig(t, configBlock("a", s, proxy)), Root: s.Dir}
}

// TestOpenSSHProxyCommandConformance runs the conformance suite against
// OpenSSH's sshd reached through a ProxyCommand.
func TestOpenSSHProxyCommandConformance(t *testing.T) {
	srv := sshtest.StartSSHD(t)
	spec := proxySpec(t, srv, testProxy(t, ""))
	hoststest.Run(t, func(t *testing.T) hosts.Host {
		spec := spec
		var err error
		if spec.Root, err = os.MkdirTemp(srv.Dir, "host-"); err != nil { // as NewHost does
			t.Fatal(err)
		}
		h, err := hosts.NewSSH("proxied", spec, hosts.SSHOptions{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { h.Close() })
		return h
	})
}

// TestProxyCommandSSHW goes through a bastion with OpenSSH's own client,
// `ssh -W %h:%p`, the usual ProxyCommand: the tunnel is the bastion's,
// the host key checked is the inner host's.
func TestProxyCommandSSHW(t *testing.T) {
	sshBin, err := exec.LookPath("ssh")
	if err != nil {
		t.Skip("SKIP: no ssh client (apt-get install openssh-client)")
	}
	bastion, inner := sshtest.StartInProcess(t), sshtest.StartInProcess(t)
	host, port, _ := net.SplitHostPort(bastion.Addr)
	proxy := fmt.Sprintf("ProxyCommand %s -F none -o BatchMode=yes -i %s -o UserKnownHostsFile=%s -p %s -l %s -W %%h:%%p %s",
		sshBin, bastion.IdentityFile, bastion.KnownHosts, port, bastion.User, host)
	os.WriteFile(filepath.Join(inner.Dir, "hello"), []byte("inner"), 0o644)
	h, err := hosts.NewSSH("a", proxySpec(t, inner, proxy), hosts.SSHOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	catHello(t, h, "inner")
	if bastion.Tunnels() != 1 || bastion.Execs() != 0 {
		t.Errorf("bastion: %d tunnels, %d commands; want 1 tunnel and no command", bastion.Tunnels(), bastion.Execs())
	}

	// The inner host's key is still checked, whatever the tunnel.
	spec := proxySpec(t, inner, proxy)
	spec.KnownHosts = bastion.KnownHosts // the bastion's key only
	bad, err := hosts.NewSSH("a", spec, hosts.SSHOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	loginRuns(t, bad, "host key of a (127.0.0.1:"+portOf(inner)+") is unknown")
}

func portOf(s *sshtest.Server) string {
	_, p, _ := net.SplitHostPort(s.Addr)
	return p
}

// TestProxyCommandTokens expands a ProxyCommand's tokens as OpenSSH's ssh
// does: both run a command that writes them down and fails, from the
// same config, and must write the same.
func TestProxyCommandTokens(t *testing.T) {
	sshBin, err := exec.LookPath("ssh")
	if err != nil {
		t.Skip("SKIP: no ssh client (apt-get install openssh-client)")
	}
	tests := map[string]struct{ config, host, user string }{
		// The file is written before the command's output closes.
		"plain":      {config: "Host *\n  ProxyCommand sh -c 'echo %h %n %p %r %k %% >> OUT; exit 1'\n", host: "fate-a"},
		"HostName":   {config: "Host Fate-A\n  HostName Node1.Example\n  Port 2222\n  User app\n  ProxyCommand sh -c 'echo %h/%n/%p/%r/%k >> OUT'\n", host: "Fate-A"},
		"alias":      {config: "Host *\n  HostKeyAlias Keys.A\n  ProxyCommand sh -c 'echo %h %n %k >> OUT'\n", host: "a"},
		"given user": {config: "Host *\n  User cfg\n  ProxyCommand sh -c 'echo %r >> OUT'\n", host: "a", user: "given"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "out")
			cfg := writeConfig(t, strings.ReplaceAll(tc.config, "OUT", out))
			target := tc.host
			if tc.user != "" {
				target = tc.user + "@" + tc.host
			}
			ssh := exec.Command(sshBin, "-F", cfg, "-o", "BatchMode=yes", target, "true")
			if b, err := ssh.CombinedOutput(); err == nil {
				t.Fatalf("ssh connected through a failing proxy: %s", b)
			}
			want, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			os.Remove(out)
			sshtest.NewKey(t).WriteFile(t, filepath.Join(dir, "key"))
			h, err := hosts.NewSSH("a", hosts.Spec{SSH: target, SSHConfig: cfg, KnownHosts: filepath.Join(dir, "kh"),
				IdentityFiles: []string{filepath.Join(dir, "key")}}, hosts.SSHOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close()
			os.WriteFile(filepath.Join(dir, "kh"), nil, 0o600)
			loginRuns(t, h, "ssh: handshake failed: EOF (ProxyCommand ("+cfg)
			if got, _ := os.ReadFile(out); string(got) != string(want) {
				t.Errorf("planrun's proxy command wrote %q, ssh's %q", got, want)
			}
		})
	}
}

// TestProxyCommandLifetime: the proxy lives as long as the connection; a
// proxy that dies takes the connection with it and the next command
// starts a new one; one that hangs is ended with the connect timeout;
// Close ends it. None is left running.
func TestProxyCommandLifetime(t *testing.T) {
	srv := sshtest.StartInProcess(t)
	pids := filepath.Join(t.TempDir(), "pids")
	h, err := hosts.NewSSH("a", proxySpec(t, srv, testProxy(t, pids)), hosts.SSHOptions{})
	if err != nil {
		t.Fatal(err)
	}
	loginRuns(t, h, "")
	first := readPids(t, pids)
	if len(first) != 1 {
		t.Fatalf("%d proxies started for one connection, want 1", len(first))
	}
	if pgid, _ := syscall.Getpgid(first[0]); pgid != first[0] {
		t.Errorf("the proxy is in process group %d, want its own (%d)", pgid, first[0])
	}
	loginRuns(t, h, "") // the same connection
	syscall.Kill(first[0], syscall.SIGKILL)
	runsAgain(t, h, 20*time.Second, "the proxy was killed")
	all := readPids(t, pids)
	if len(all) != 2 {
		t.Fatalf("%d proxies started, want 2 (one again after the first was killed)", len(all))
	}
	h.Close()
	for _, pid := range all {
		if err := syscall.Kill(pid, 0); err != syscall.ESRCH {
			t.Errorf("proxy %d still there after Close (kill 0: %v)", pid, err)
		}
	}

	// A proxy that never answers: the connect timeout ends it with
	// SIGHUP, or SIGTERM when SIGHUP is ignored (planrun under nohup: the
	// proxy inherits that, and SIGHUP would leave it 2 s, until SIGKILL).
	hangs := func(want string) {
		t.Helper()
		hangPids := filepath.Join(t.TempDir(), "pids")
		spec := proxySpec(t, srv, "ProxyCommand sh -c 'echo $$ >> "+hangPids+"; echo waiting >&2; exec sleep 60'")
		spec.ConnectTimeout = "1s"
		hang, err := hosts.NewSSH("a", spec, hosts.SSHOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer hang.Close()
		loginRuns(t, hang, "connect timeout 1s exceeded (ProxyCommand ("+spec.SSHConfig+":7): signal: "+want+", said: waiting)")
		for _, pid := range readPids(t, hangPids) {
			if err := syscall.Kill(pid, 0); err != syscall.ESRCH {
				t.Errorf("hanging proxy %d still there after the connect timeout (kill 0: %v)", pid, err)
			}
		}
	}
	if signal.Ignored(syscall.SIGHUP) { // the test runs under nohup
		hangs("terminated")
		return
	}
	hangs("hangup")
	signal.Ignore(syscall.SIGHUP)
	defer signal.Reset(syscall.SIGHUP)
	hangs("terminated")
}

func readPids(t *testing.T, file string) []int {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, f := range strings.Fields(string(b)) {
		n, err := strconv.Atoi(f)
		if err != nil {
			t.Fatal(err)
		}
		pids = append(pids, n)
	}
	return pids
}

package hosts_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/planrun/planrun/hosts"
	"github.com/planrun/planrun/hosts/sshtest"
)

// configBlock is an ssh_config Host block that reaches s under alias.
func configBlock(alias string, s *sshtest.Server, extra ...string) string {
	host, port, _ := net.SplitHostPort(s.Addr)
	lines := append([]string{"Host " + alias, "  HostName " + host, "  Port " + port, "  User " + s.User,
		"  IdentityFile " + s.IdentityFile, "  UserKnownHostsFile " + s.KnownHosts}, extra...)
	return strings.Join(lines, "\n") + "\n"
}

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "ssh_config")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// loginRuns runs `echo in` on h and reports whether it did. With wantErr,
// it must fail with an error containing that.
func loginRuns(t *testing.T, h hosts.Host, wantErr string) bool {
	t.Helper()
	res, err := h.Exec(context.Background(), hosts.Command{Path: "echo", Args: []string{"in"}})
	if wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("err = %v, want it to contain %q", err, wantErr)
		}
		return false
	}
	if err != nil || string(res.Stdout) != "in\n" {
		t.Fatalf("exec: %q, %v", res.Stdout, err)
	}
	return true
}

// runsAgain runs `echo again` on h until it works, for up to d after
// what happened (named in the failure).
func runsAgain(t *testing.T, h hosts.Host, d time.Duration, what string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	for {
		res, err := h.Exec(ctx, hosts.Command{Path: "echo", Args: []string{"again"}})
		if err == nil && string(res.Stdout) == "again\n" {
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("no command ran within %v after %s: %v", d, what, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// catHello runs `cat hello` on h, which must print what the test wrote.
func catHello(t *testing.T, h hosts.Host, want string) {
	t.Helper()
	res, err := h.Exec(context.Background(), hosts.Command{Path: "cat", Args: []string{"hello"}})
	if err != nil || res.ExitCode != 0 || string(res.Stdout) != want {
		t.Fatalf("cat hello: %q, exit %d, %v; want %q", res.Stdout, res.ExitCode, err, want)
	}
}

func TestSSHConfigAlias(t *testing.T) {
	srv := sshtest.StartInProcess(t)
	os.WriteFile(filepath.Join(srv.Dir, "hello"), []byte("by alias"), 0o644)
	other := sshtest.StartInProcess(t)
	aliasKnown := filepath.Join(t.TempDir(), "known_hosts")
	sshtest.WriteKnownHosts(t, aliasKnown, "cluster-a.keys:22", srv.HostKey.Public())
	tests := map[string]struct {
		config string
		spec   hosts.Spec
	}{
		"everything from the config": {
			config: configBlock("cluster-a", srv),
			spec:   hosts.Spec{SSH: "cluster-a"},
		},
		"a missing config key file is skipped": {
			config: configBlock("cluster-a", srv, "  IdentityFile /nonexistent/key"),
			spec:   hosts.Spec{SSH: "cluster-a"},
		},
		"the spec's port, user and known_hosts win": {
			config: configBlock("cluster-a", other),
			spec: hosts.Spec{SSH: fmt.Sprintf("%s@cluster-a:%s", srv.User, port(srv)), KnownHosts: srv.KnownHosts,
				IdentityFiles: []string{srv.IdentityFile}},
		},
		"the key in a global known_hosts file": {
			config: "Host cluster-a\n  UserKnownHostsFile /nonexistent/known_hosts\n  GlobalKnownHostsFile " +
				srv.KnownHosts + "\n" + configBlock("*", srv),
			spec: hosts.Spec{SSH: "cluster-a"},
		},
		"the key under a HostKeyAlias": {
			config: "Host cluster-a\n  HostKeyAlias Cluster-A.Keys\n  UserKnownHostsFile " + aliasKnown + "\n" + configBlock("*", srv),
			spec:   hosts.Spec{SSH: "cluster-a"},
		},
		"a later block fills in": {
			config: "Host cluster-*\n  HostName 127.0.0.1\n  ConnectTimeout 5\n" + configBlock("*", srv),
			spec:   hosts.Spec{SSH: "cluster-a"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			tc.spec.SSHConfig = writeConfig(t, tc.config)
			tc.spec.Root = srv.Dir
			h, err := hosts.NewSSH("a", tc.spec, hosts.SSHOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close()
			if h.Addr() != srv.Addr {
				t.Errorf("addr %s, want %s", h.Addr(), srv.Addr)
			}
			catHello(t, h, "by alias")
		})
	}
}

func port(s *sshtest.Server) string {
	_, p, _ := net.SplitHostPort(s.Addr)
	return p
}

func TestSSHConfigProxyJump(t *testing.T) {
	bastion1 := sshtest.StartInProcess(t)
	bastion2 := sshtest.StartInProcess(t)
	inner := sshtest.StartInProcess(t)
	os.WriteFile(filepath.Join(inner.Dir, "hello"), []byte("two hops"), 0o644)
	// ProxyJump names an ssh_config alias; a chain goes through its
	// hosts in order: bastion1, then bastion2, then inner.
	config := writeConfig(t, configBlock("inner", inner, "  ProxyJump b1,b2")+
		configBlock("b1", bastion1)+configBlock("b2", bastion2))
	pool := hosts.NewPool(map[string]hosts.Spec{
		"inner": {SSH: "inner", SSHConfig: config, Root: inner.Dir},
		// An inventory host called like a ProxyJump alias is not used for it.
		"b2": {SSH: "nobody@127.0.0.1:1", SSHConfig: "none"},
	}, hosts.PoolOptions{})
	defer pool.Close()
	h, err := pool.Host(context.Background(), "inner")
	if err != nil {
		t.Fatal(err)
	}
	catHello(t, h, "two hops")
	if bastion1.Tunnels() != 1 || bastion2.Tunnels() != 1 || inner.Tunnels() != 0 {
		t.Errorf("tunnels: bastion1 %d, bastion2 %d, inner %d; want 1, 1, 0",
			bastion1.Tunnels(), bastion2.Tunnels(), inner.Tunnels())
	}
	if n := bastion1.Execs() + bastion2.Execs(); n != 0 {
		t.Errorf("%d commands ran on the jump hosts", n)
	}
}

func TestSSHConfigErrors(t *testing.T) {
	srv := sshtest.StartInProcess(t)
	dir := t.TempDir()
	userKnown, globalKnown := filepath.Join(dir, "user_known_hosts"), filepath.Join(dir, "global_known_hosts")
	os.WriteFile(globalKnown, nil, 0o600)
	tests := map[string]struct {
		config string
		spec   hosts.Spec
		// newErr is NewSSH's error; connErr the first command's.
		newErr, connErr string
	}{
		// ProxyCommand: what is refused before connecting, and how a
		// proxy command that fails is reported.
		"ProxyCommand -": {config: configBlock("a", srv, "  ProxyCommand -"),
			newErr: "ssh config sets ProxyCommand - for a (CONFIG:7): planrun has no standard input"},
		"ProxyUseFdpass": {config: configBlock("a", srv, "  ProxyCommand nc %h %p", "  ProxyUseFdpass yes"),
			newErr: "ssh config sets ProxyUseFdpass for a: planrun does not take a socket back from the ProxyCommand (CONFIG:7)"},
		"ProxyCommand, unknown token": {config: configBlock("a", srv, "  ProxyCommand nc %h %x"),
			newErr: "CONFIG:7: ProxyCommand nc %h %x: token %x is not supported here"},
		"ProxyCommand fails": {config: configBlock("a", srv, "  ProxyCommand sh -c \"echo 'bastion.example: Name or service not known' >&2; exit 255\""),
			connErr: "ssh: handshake failed: EOF (ProxyCommand (CONFIG:7): exit status 255, said: bastion.example: Name or service not known)"},
		"ProxyCommand not found": {config: configBlock("a", srv, "  ProxyCommand /nonexistent/proxy %h"),
			connErr: "(ProxyCommand (CONFIG:7): exit status 127, said: "},
		"refused by the config": {
			config: "Match host a\n  RefuseConnection yes\n" + configBlock("a", srv),
			newErr: "host a: ssh config refuses connections to a (RefuseConnection at CONFIG:2)",
		},
		"a misspelt keyword": {
			config: configBlock("a", srv, "  ProxyJum bastion"),
			newErr: `host a: CONFIG:7: unknown keyword "proxyjum", which ssh refuses too`,
		},
		"jump through itself": {
			config: "Host *\n  ProxyJump a\n",
			newErr: "ssh config gives a itself as its ProxyJump",
		},
		"jump loop": {
			config:  configBlock("a", srv, "  ProxyJump b") + configBlock("b", srv, "  ProxyJump a"),
			connErr: "more than 8 jump hosts in a row",
		},
		"bad config": {
			config: "Host a\n  Port none\n",
			newErr: `host a: CONFIG:2: bad Port "none"`,
		},
		"missing config file": {
			spec:   hosts.Spec{SSH: "a", SSHConfig: "/nonexistent/ssh_config"},
			newErr: "/nonexistent/ssh_config: no such file",
		},
		"unknown key: add it to the user's file": {
			config: "Host a\n  UserKnownHostsFile " + userKnown + "\n  GlobalKnownHostsFile " + globalKnown + "\n" +
				configBlock("a", srv),
			connErr: "is unknown: the server offers ssh-ed25519 SHA256:",
		},
		"unknown under a HostKeyAlias": {
			// known_hosts has the key under the address, not the alias.
			config:  configBlock("a", srv, "  HostKeyAlias keys.a"),
			connErr: "add the key to " + srv.KnownHosts + " under its HostKeyAlias keys.a (for example: ssh-keyscan -p " + port(srv) + " 127.0.0.1 | sed 's/^[^ ]*/keys.a/' >> " + srv.KnownHosts + ")",
		},
		"no StrictHostKeyChecking=no": {
			// A config that would have ssh accept any key changes nothing.
			config:  configBlock("a", srv, "  StrictHostKeyChecking no"),
			spec:    hosts.Spec{SSH: "a", KnownHosts: filepath.Join(t.TempDir(), "empty_known_hosts")},
			connErr: "host key of a (" + srv.Addr + ") is unknown",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			spec := tc.spec
			if spec.SSH == "" {
				spec.SSH = "a"
			}
			if tc.config != "" {
				spec.SSHConfig = writeConfig(t, tc.config)
			}
			if spec.KnownHosts != "" {
				os.WriteFile(spec.KnownHosts, nil, 0o600)
			}
			want := strings.ReplaceAll(tc.newErr+tc.connErr, "CONFIG", spec.SSHConfig)
			h, err := hosts.NewSSH("a", spec, hosts.SSHOptions{})
			if tc.newErr != "" {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("NewSSH: err = %v, want it to contain %q", err, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close()
			_, err = h.Exec(context.Background(), hosts.Command{Path: "true"})
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("exec: err = %v, want it to contain %q", err, want)
			}
			var ke *hosts.HostKeyError
			switch name {
			case "no StrictHostKeyChecking=no":
				if !errors.As(err, &ke) {
					t.Errorf("err is %T, want a *HostKeyError", err)
				}
			case "unknown key: add it to the user's file":
				if !errors.As(err, &ke) || ke.KnownHosts != userKnown {
					t.Errorf("err %v: want a *HostKeyError naming %s", err, userKnown)
				}
			}
		})
	}
}

// TestSSHConfigServerAlive: ServerAliveInterval sets how often a
// connection sends keepalives (else every 30 s).
func TestSSHConfigServerAlive(t *testing.T) {
	withAlive, without := sshtest.StartInProcess(t), sshtest.StartInProcess(t)
	a, err := hosts.NewSSH("a", hosts.Spec{SSH: "a", SSHConfig: writeConfig(t, configBlock("a", withAlive, "  ServerAliveInterval 1"))}, hosts.SSHOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := hosts.NewSSH("b", hosts.Spec{SSH: "b", SSHConfig: writeConfig(t, configBlock("b", without))}, hosts.SSHOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	loginRuns(t, a, "")
	loginRuns(t, b, "")
	for deadline := time.Now().Add(10 * time.Second); withAlive.Keepalives() == 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no keepalive within 10 s with ServerAliveInterval 1")
		}
	}
	if n := without.Keepalives(); n != 0 {
		t.Errorf("%d keepalives within seconds without ServerAliveInterval, want none before 30 s", n)
	}
	loginRuns(t, a, "") // the connection is still good
}

// TestSSHDeadPeer: a server that stops answering (a dead network path, no
// TCP reset) is noticed by the unanswered keepalives, after
// ServerAliveInterval × ServerAliveCountMax, and the next command connects
// again instead of hanging.
func TestSSHDeadPeer(t *testing.T) {
	srv := sshtest.StartInProcess(t)
	config := writeConfig(t, configBlock("a", srv, "  ServerAliveInterval 1", "  ServerAliveCountMax 2"))
	h, err := hosts.NewSSH("a", hosts.Spec{SSH: "a", SSHConfig: config}, hosts.SSHOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	// A second host on the same server, with the default keepalives
	// (every 30 s): a command on its frozen connection still ends with
	// its context, not when the connection is given up.
	slow, err := hosts.NewSSH("slow", srv.Spec(), hosts.SSHOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	loginRuns(t, h, "")
	loginRuns(t, slow, "")
	srv.Freeze()
	short, stop := context.WithTimeout(context.Background(), time.Second)
	defer stop()
	if _, err := slow.Exec(short, hosts.Command{Path: "true"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a command on a frozen connection: err = %v, want the context's deadline", err)
	}
	// Without the keepalives, this would wait on the frozen connection
	// until the deadline.
	start := time.Now()
	runsAgain(t, h, 30*time.Second, "the server froze")
	t.Logf("running again %v after the server froze", time.Since(start).Round(100*time.Millisecond))
}

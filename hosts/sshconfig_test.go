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
		"proxy command": {
			config: "\nHost a\n  ProxyCommand nc %h %p\n",
			newErr: "host a: ssh config sets a ProxyCommand for a (CONFIG:3), which planrun does not run",
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

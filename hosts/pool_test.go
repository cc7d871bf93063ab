package hosts_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/planrun/planrun/hosts"
	"github.com/planrun/planrun/hosts/sshtest"
)

func TestSpecInDir(t *testing.T) {
	tests := map[string]struct {
		dir       string
		spec, out hosts.Spec
	}{
		"relative names join the plan's directory": {
			dir:  "/plans/site",
			spec: hosts.Spec{IdentityFiles: []string{"keys/id", "/abs/id", "~/.ssh/id"}, KnownHosts: "keys/known_hosts", SSHConfig: "ssh/config"},
			out:  hosts.Spec{IdentityFiles: []string{"/plans/site/keys/id", "/abs/id", "~/.ssh/id"}, KnownHosts: "/plans/site/keys/known_hosts", SSHConfig: "/plans/site/ssh/config"},
		},
		"none, home and absolute names stay": {
			dir:  "/plans",
			spec: hosts.Spec{SSH: "u@h", KnownHosts: "~/kh", SSHConfig: "none", Root: "rel"},
			out:  hosts.Spec{SSH: "u@h", KnownHosts: "~/kh", SSHConfig: "none", Root: "rel"},
		},
		"a relative plan directory stays relative": {
			dir:  "sub",
			spec: hosts.Spec{IdentityFiles: []string{"../k"}, SSHConfig: "./c"},
			out:  hosts.Spec{IdentityFiles: []string{"k"}, SSHConfig: "sub/c"},
		},
		"no directory: unchanged": {
			spec: hosts.Spec{IdentityFiles: []string{"k"}, KnownHosts: "kh"},
			out:  hosts.Spec{IdentityFiles: []string{"k"}, KnownHosts: "kh"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			before := append([]string(nil), tc.spec.IdentityFiles...)
			if diff := cmp.Diff(tc.out, tc.spec.InDir(tc.dir)); diff != "" {
				t.Errorf("InDir (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(before, tc.spec.IdentityFiles); diff != "" {
				t.Errorf("InDir changed its receiver's identity files (-before +after):\n%s", diff)
			}
		})
	}
}

// A plan that names its key, known_hosts and ssh_config relative to itself
// reaches its host whatever directory planrun runs in.
func TestPoolPathsRelativeToPlan(t *testing.T) {
	srv := sshtest.StartInProcess(t)
	os.WriteFile(filepath.Join(srv.Dir, "hello"), []byte("relative"), 0o644)
	planDir := t.TempDir()
	copyFile(t, srv.IdentityFile, filepath.Join(planDir, "keys", "id"))
	copyFile(t, srv.KnownHosts, filepath.Join(planDir, "keys", "known_hosts"))
	cfg := writeConfig(t, "Host cluster-a\n  HostName 127.0.0.1\n  Port "+port(srv)+"\n  User "+srv.User+"\n")
	copyFile(t, cfg, filepath.Join(planDir, "ssh", "config"))
	t.Chdir(t.TempDir())
	spec := hosts.Spec{SSH: "cluster-a", IdentityFiles: []string{"keys/id"}, KnownHosts: "keys/known_hosts",
		SSHConfig: "ssh/config", Root: srv.Dir}
	p := hosts.NewPool(map[string]hosts.Spec{"a": spec}, hosts.PoolOptions{BaseDir: planDir})
	defer p.Close()
	h, err := p.Host(context.Background(), "a")
	if err != nil {
		t.Fatal(err)
	}
	catHello(t, h, "relative")
	if err := hosts.CheckSSH(spec); err == nil {
		t.Error("the same spec, not in the plan's directory: CheckSSH found its ssh_config in the working directory")
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err == nil {
		err = os.MkdirAll(filepath.Dir(to), 0o700)
	}
	if err == nil {
		err = os.WriteFile(to, b, 0o600)
	}
	if err != nil {
		t.Fatal(err)
	}
}

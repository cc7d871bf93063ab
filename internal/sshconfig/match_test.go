package sshconfig_test

import (
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/planrun/planrun/internal/sshconfig"
)

// TestMatchNewer covers Match criteria of OpenSSH newer than the ssh -G
// the other tests compare with (9.2 here): tagged with Tag (9.4) and
// localnetwork (9.4), against this machine's real interfaces (loopback
// is up; far is a documentation network none of them is in).
func TestMatchNewer(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	far := absentNetwork(t)
	tests := map[string]struct {
		config, user, wantErr string
	}{
		"tagged":                   {config: "Tag prod\nMatch tagged pr*\n  User p\n", user: "p"},
		"tagged, another tag":      {config: "Tag dev\nMatch tagged prod\n  User p\nMatch all\n  User other\n", user: "other"},
		"tagged, no tag":           {config: "Match tagged \"\"\n  User none\n", user: "none"},
		"tag: the first wins":      {config: "Tag a\nTag b\nMatch tagged b\n  User b\nMatch tagged a\n  User a\n", user: "a"},
		"localnetwork, loopback":   {config: "Match localnetwork " + far + ",127.0.0.0/8\n  User lo\n", user: "lo"},
		"localnetwork, an address": {config: "Match localnetwork 127.0.0.1\n  User one\n", user: "one"},
		"localnetwork, elsewhere":  {config: "Match localnetwork " + far + "\n  User far\nMatch all\n  User near\n", user: "near"},
		"localnetwork negated":     {config: "Match !localnetwork 127.0.0.0/8\n  User far\nMatch all\n  User near\n", user: "near"},
		"localnetwork, bad":        {config: "Match localnetwork 10.0.0.0/33\n  User x\n", wantErr: `config:1: Match localnetwork: bad network "10.0.0.0/33"`},
		"localnetwork, a name":     {config: "Match localnetwork corp\n  User x\n", wantErr: `bad network "corp"`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, ok := lookupText(t, tc.config, sshconfig.Query{Host: "a"}, tc.wantErr)
			if !ok {
				return
			}
			if got.User != tc.user {
				t.Errorf("user %q, want %q", got.User, tc.user)
			}
		})
	}
}

// absentNetwork is a documentation network that no interface here is in.
func absentNetwork(t *testing.T) string {
	t.Helper()
	ifs, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	var ips []net.IP
	for _, i := range ifs {
		addrs, _ := i.Addrs()
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok {
				ips = append(ips, n.IP)
			}
		}
	}
	for _, cidr := range []string{"192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32"} {
		_, n, _ := net.ParseCIDR(cidr)
		if !slices.ContainsFunc(ips, n.Contains) {
			return cidr
		}
	}
	t.Skip("SKIP: this machine has addresses in every documentation network")
	return ""
}

// TestMatchExecRuns checks that Match exec runs its command only when it
// is reached: not after a criterion that failed, nor in a file included
// where no block applies; and that it runs with standard input empty.
func TestMatchExecRuns(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	dir := t.TempDir()
	mark := func(name string) string { return filepath.Join(dir, name) }
	inc := mark("inc")
	if err := os.WriteFile(inc, []byte("Match exec \"touch "+mark("included")+"\"\n  User inc\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := mark("config")
	config := "Match host other exec \"touch " + mark("skipped") + "\"\n  User x\n" +
		"Host other\n  Include " + inc + "\n" +
		"Match host a exec \"read line || touch " + mark("ran") + "\"\n  User ran\n"
	if err := os.WriteFile(cfg, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := sshconfig.Lookup([]sshconfig.File{{Path: cfg}}, sshconfig.Query{Host: "a"})
	if err != nil {
		t.Fatal(err)
	}
	if s.User != "ran" {
		t.Errorf("User = %q, want ran (the reached Match exec holds)", s.User)
	}
	for name, want := range map[string]bool{"skipped": false, "included": false, "ran": true} {
		if _, err := os.Stat(mark(name)); (err == nil) != want {
			t.Errorf("%s: exists = %v, want %v", name, err == nil, want)
		}
	}
}

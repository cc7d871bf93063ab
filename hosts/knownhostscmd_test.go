package hosts_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/planrun/planrun/hosts"
	"github.com/planrun/planrun/hosts/sshtest"
)

// TestKnownHostsCommandAgainstOpenSSH logs in to sshd (which offers a host
// certificate) through planrun and through OpenSSH's ssh, with a
// KnownHostsCommand that prints known_hosts lines: both must log in or
// both refuse, and the command must be run with the same arguments.
func TestKnownHostsCommandAgainstOpenSSH(t *testing.T) {
	if _, err := exec.LookPath("ssh"); err != nil {
		t.Skip("SKIP: no ssh client to compare with (apt-get install openssh-client)")
	}
	srv := sshtest.StartSSHD(t)
	bracket := "[127.0.0.1]:" + port(srv)
	ca, plain, other := srv.HostCA.Public(), srv.HostKey.Public(), sshtest.NewKey(t).Public()
	line := func(marker, hosts string, k ssh.PublicKey) string {
		return strings.TrimSpace(marker + " " + hosts + " " + string(ssh.MarshalAuthorizedKey(k)))
	}
	plainK := ssh.MarshalAuthorizedKey(plain)
	plainB64 := strings.Fields(string(plainK))[1]
	tests := map[string]struct {
		lines  []string // what the command prints
		script string   // shell lines before it prints them ($2 is %I, $3 %K)
		files  []string // known_hosts file lines
		ok     bool
	}{
		"prints the key":     {lines: []string{line("", bracket, plain)}, ok: true},
		"prints nothing":     {},
		"prints another key": {lines: []string{line("", bracket, other)}},
		"prints the CA":      {lines: []string{line("@cert-authority", "*", ca)}, ok: true},
		"fails":              {lines: []string{line("", bracket, plain)}, script: "exit 1"},
		"only when checking": {lines: []string{line("", bracket, plain)}, script: `[ "$2" = HOSTNAME ] || exit 0`, ok: true},
		// ssh 9.2 runs it once, for the certificate the server offers.
		"only for the plain key":       {lines: []string{line("", bracket, plain)}, script: `[ "$3" = "` + plainB64 + `" ] || exit 0`},
		"only for ordering":            {lines: []string{line("", bracket, plain)}, script: `[ "$2" = ORDER ] || exit 0`},
		"bare name":                    {lines: []string{line("", "127.0.0.1", plain)}},
		"bare name in the file":        {files: []string{line("", "127.0.0.1", plain)}, ok: true},
		"file has another, command it": {files: []string{line("", bracket, other)}, lines: []string{line("", bracket, plain)}, ok: true},
		"revoked by the command":       {files: []string{line("", bracket, plain)}, lines: []string{line("@revoked", "*", plain)}},
		"CA revoked by the command":    {lines: []string{line("@cert-authority", "*", ca), line("@revoked", "*", ca), line("", bracket, plain)}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			log, known := filepath.Join(dir, "args"), filepath.Join(dir, "known_hosts")
			os.WriteFile(known, []byte(strings.Join(tc.files, "\n")+"\n"), 0o600)
			os.WriteFile(filepath.Join(dir, "lines"), []byte(strings.Join(tc.lines, "\n")+"\n"), 0o600)
			script := filepath.Join(dir, "kh")
			os.WriteFile(script, []byte("#!/bin/sh\necho \"$*\" >> "+log+"\n"+tc.script+"\ncat "+filepath.Join(dir, "lines")+"\n"), 0o755)
			config := writeConfig(t, "Host *\n  KnownHostsCommand "+script+" %H %I %K %t %f %h %p %r %n %k\n")
			args := []string{"-F", config, "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
				"-o", "UserKnownHostsFile=" + known, "-o", "GlobalKnownHostsFile=/dev/null", "-o", "UpdateHostKeys=no",
				"-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none", "-i", srv.IdentityFile, "-p", port(srv),
				srv.User + "@127.0.0.1", "true"}
			out, err := exec.Command("ssh", args...).CombinedOutput()
			if (err == nil) != tc.ok {
				t.Fatalf("ssh: ok=%v, want %v\n%s", err == nil, tc.ok, out)
			}
			sshArgs, _ := os.ReadFile(log)
			os.Remove(log)

			// planrun, with the same files through the same config.
			cfg := writeConfig(t, "Host *\n  KnownHostsCommand "+script+" %H %I %K %t %f %h %p %r %n %k\n"+
				"  UserKnownHostsFile "+known+"\n  GlobalKnownHostsFile /dev/null\n")
			h, err := hosts.NewSSH("a", hosts.Spec{SSH: srv.User + "@" + srv.Addr, IdentityFiles: []string{srv.IdentityFile}, SSHConfig: cfg}, hosts.SSHOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close()
			_, err = h.Exec(context.Background(), hosts.Command{Path: "true"})
			if (err == nil) != tc.ok {
				t.Fatalf("planrun: %v; ssh: ok=%v", err, tc.ok)
			}
			if got, _ := os.ReadFile(log); string(got) != string(sshArgs) || len(got) == 0 {
				t.Errorf("the command was run with\n%s\nby planrun, with\n%s\nby ssh", got, sshArgs)
			}
		})
	}
}

// TestKnownHostsCommandOnly: a KnownHostsCommand that is the only source
// of host keys (no known_hosts file at all) is enough, as in ssh; a plan
// entry that names its known_hosts file uses that file alone; a command
// ssh would refuse to run is an error before connecting.
func TestKnownHostsCommandOnly(t *testing.T) {
	srv := sshtest.StartInProcess(t)
	dir := t.TempDir()
	script := filepath.Join(dir, "kh")
	os.WriteFile(script, []byte("#!/bin/sh\ncat "+srv.KnownHosts+"\n"), 0o755)
	host, p, _ := strings.Cut(srv.Addr, ":")
	block := "Host a\n  HostName " + host + "\n  Port " + p + "\n  User " + srv.User + "\n  IdentityFile " + srv.IdentityFile + "\n"
	cfg := writeConfig(t, block+"  UserKnownHostsFile none\n  GlobalKnownHostsFile none\n  KnownHostsCommand "+script+" %H\n")
	h, err := hosts.NewSSH("a", hosts.Spec{SSH: "a", SSHConfig: cfg}, hosts.SSHOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	loginRuns(t, h, "")

	empty := filepath.Join(dir, "empty_known_hosts")
	os.WriteFile(empty, nil, 0o600)
	pinned, err := hosts.NewSSH("a", hosts.Spec{SSH: "a", SSHConfig: cfg, KnownHosts: empty}, hosts.SSHOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer pinned.Close()
	loginRuns(t, pinned, "is unknown")

	for cmd, want := range map[string]string{
		"kh %H":          "KnownHostsCommand kh: the program's path must be absolute, as ssh requires",
		script + " %Z":   "KnownHostsCommand argument %Z: token %Z is not supported here",
		script + " 'a b": "ssh_config:6: unterminated quote",
	} {
		cfg := writeConfig(t, block+"  KnownHostsCommand "+cmd+"\n")
		if _, err := hosts.NewSSH("a", hosts.Spec{SSH: "a", SSHConfig: cfg}, hosts.SSHOptions{}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("KnownHostsCommand %s: err = %v, want it to contain %q", cmd, err, want)
		}
	}
}

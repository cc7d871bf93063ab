package hosts_test

import (
	"context"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/planrun/planrun/hosts"
	"github.com/planrun/planrun/hosts/sshtest"
)

// TestSSHHostCertificate: a server presenting a host certificate is
// trusted through an @cert-authority line in known_hosts, as in ssh; a
// certificate nothing vouches for falls back to its plain key (unknown
// unless listed), and a revoked key or CA is refused. Against the
// in-process server and OpenSSH's sshd (HostCertificate).
func TestSSHHostCertificate(t *testing.T) {
	servers := map[string]func(testing.TB) *sshtest.Server{"in-process": sshtest.StartInProcess}
	if _, err := os.Stat(sshtest.SSHDPath); err == nil {
		servers["sshd"] = sshtest.StartSSHD
	} else {
		t.Log("SKIP sshd cases: sshd not installed (apt-get install openssh-server)")
	}
	otherCA := sshtest.NewKey(t)
	line := func(marker, hosts string, k ssh.PublicKey) string {
		return strings.TrimSpace(marker + " " + hosts + " " + string(ssh.MarshalAuthorizedKey(k)))
	}
	for kind, start := range servers {
		srv := start(t)
		host := "[127.0.0.1]:" + port(srv)
		ca, plain := srv.HostCA.Public(), srv.HostKey.Public()
		tests := map[string]struct {
			known   []string
			alias   string // HostKeyAlias
			wantErr string
		}{
			"trusted CA":                 {known: []string{line("@cert-authority", "*", ca)}},
			"trusted CA for this port":   {known: []string{line("@cert-authority", host, ca)}},
			"CA for other hosts":         {known: []string{line("@cert-authority", "*.example.org", ca)}, wantErr: "is unknown: the server offers ssh-ed25519 " + ssh.FingerprintSHA256(plain)},
			"another CA":                 {known: []string{line("@cert-authority", "*", otherCA.Public())}, wantErr: "(its host certificate (signed by ssh-ed25519 " + ssh.FingerprintSHA256(ca) + ") was not accepted: "},
			"another CA, key listed":     {known: []string{line("@cert-authority", "*", otherCA.Public()), line("", host, plain)}},
			"key revoked":                {known: []string{line("@cert-authority", "*", ca), line("@revoked", "*", plain)}, wantErr: "is revoked in "},
			"CA revoked":                 {known: []string{line("@cert-authority", "*", ca), line("@revoked", "*", ca)}, wantErr: "is revoked in "},
			"principal is not the alias": {known: []string{line("@cert-authority", "*", ca)}, alias: "cluster-a", wantErr: "is unknown"},
		}
		for name, tc := range tests {
			t.Run(kind+"/"+name, func(t *testing.T) {
				known := filepath.Join(t.TempDir(), "known_hosts")
				os.WriteFile(known, []byte(strings.Join(tc.known, "\n")+"\n"), 0o600)
				spec := hosts.Spec{SSH: srv.User + "@" + srv.Addr, IdentityFiles: []string{srv.IdentityFile},
					KnownHosts: known, SSHConfig: "none"}
				if tc.alias != "" {
					spec.SSHConfig = writeConfig(t, "Host *\n  HostKeyAlias "+tc.alias+"\n")
				}
				h, err := hosts.NewSSH("a", spec, hosts.SSHOptions{})
				if err != nil {
					t.Fatal(err)
				}
				defer h.Close()
				loginRuns(t, h, tc.wantErr)
			})
		}
	}
}

// TestKnownHostsAgainstOpenSSH logs in to OpenSSH's sshd (which also
// presents a host certificate) with each known_hosts file both through
// planrun and with OpenSSH's own ssh client, and wants the same verdict.
func TestKnownHostsAgainstOpenSSH(t *testing.T) {
	for _, bin := range []string{"ssh", "ssh-keygen"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("SKIP: no %s client to compare with (apt-get install openssh-client)", bin)
		}
	}
	srv := sshtest.StartSSHD(t)
	p := port(srv)
	bracket := "[127.0.0.1]:" + p
	ca, plain, other := srv.HostCA.Public(), srv.HostKey.Public(), sshtest.NewKey(t).Public()
	line := func(marker, hosts string, k ssh.PublicKey) string {
		return strings.TrimSpace(marker + " " + hosts + " " + string(ssh.MarshalAuthorizedKey(k)))
	}
	tests := map[string]struct {
		known []string
		alias string
		hash  bool // hash the names with ssh-keygen -H
		ok    bool
	}{
		"listed":                    {known: []string{line("", bracket, plain)}, ok: true},
		"listed, upper case":        {known: []string{line("", "[127.0.0.1]:"+p, plain)}, ok: true},
		"listed, hashed":            {known: []string{line("", bracket, plain)}, hash: true, ok: true},
		"wildcard":                  {known: []string{line("", "*", plain)}, ok: true},
		"wildcard port":             {known: []string{line("", "[127.0.0.*]:"+p, plain)}, ok: true},
		"bare host name":            {known: []string{line("", "127.0.0.1", plain)}, ok: true},
		"bare host name, hashed":    {known: []string{line("", "127.0.0.1", plain)}, hash: true, ok: true},
		"bare host name, other key": {known: []string{line("", "127.0.0.1", other)}},
		// The server offers its certificate first; no CA is trusted for
		// [host]:port, so ssh looks the certificate up under the bare name,
		// and there, falling back to its plain key, finds it listed.
		"bare host name, [host]:port changed": {known: []string{line("", bracket, other), line("", "127.0.0.1", plain)}, ok: true},
		"bare host name under an alias":       {known: []string{line("", "127.0.0.1", plain)}, alias: "cluster-a"},
		"negated":                             {known: []string{line("", "!"+bracket+",*", plain)}, ok: true},
		"negated both":                        {known: []string{line("", "!"+bracket+",!127.0.0.1,*", plain)}},
		"other key":                           {known: []string{line("", bracket, other)}},
		"other key, then listed":              {known: []string{line("", bracket, other), line("", "*", plain)}, ok: true},
		"CA":                                  {known: []string{line("@cert-authority", "*", ca)}, ok: true},
		"CA, hashed":                          {known: []string{line("@cert-authority", bracket, ca)}, hash: true, ok: true},
		"CA for other hosts":                  {known: []string{line("@cert-authority", "*.example.org", ca)}},
		"CA as a plain key":                   {known: []string{line("", "*", ca)}},
		"another CA, key listed":              {known: []string{line("@cert-authority", "*", other), line("", "*", plain)}, ok: true},
		"key revoked":                         {known: []string{line("@revoked", "*", plain), line("", "*", plain)}},
		"key revoked for another host":        {known: []string{line("@revoked", "elsewhere", plain), line("", "*", plain)}, ok: true},
		"CA revoked":                          {known: []string{line("@cert-authority", "*", ca), line("@revoked", "*", ca)}},
		"unknown marker":                      {known: []string{line("@trusted", "*", plain)}},
		"alias":                               {known: []string{line("", "cluster-a", plain)}, alias: "Cluster-A", ok: true},
		"alias, CA":                           {known: []string{line("@cert-authority", "*", ca)}, alias: "cluster-a"},
		"alias, CA and key":                   {known: []string{line("@cert-authority", "*", ca), line("", "cluster-a", plain)}, alias: "cluster-a", ok: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			known := filepath.Join(t.TempDir(), "known_hosts")
			os.WriteFile(known, []byte(strings.Join(tc.known, "\n")+"\n"), 0o600)
			if tc.hash {
				if out, err := exec.Command("ssh-keygen", "-H", "-f", known).CombinedOutput(); err != nil {
					t.Fatalf("ssh-keygen -H: %v\n%s", err, out)
				}
			}
			ok, out := sshLogin(t, srv, known, tc.alias)
			if ok != tc.ok {
				t.Fatalf("ssh: ok=%v, want %v\n%s", ok, tc.ok, out)
			}
			if planrunLogin(t, srv, known, tc.alias) != tc.ok {
				t.Fatalf("planrun: ok=%v; ssh: ok=%v", !tc.ok, tc.ok)
			}
		})
	}
}

// TestKnownHostsAgainstOpenSSHRandom is TestKnownHostsAgainstOpenSSH on
// known_hosts files drawn at random (fixed seed) from names, patterns,
// markers and keys (the host's, its CA's, another), with a HostKeyAlias
// at times: planrun and ssh must both log in or both refuse. 20 files by
// default; PLANRUN_KNOWNHOSTS_LOGINS=N for more (550 agree).
func TestKnownHostsAgainstOpenSSHRandom(t *testing.T) {
	if _, err := exec.LookPath("ssh"); err != nil {
		t.Skip("SKIP: no ssh client to compare with (apt-get install openssh-client)")
	}
	n := 20
	if v, err := strconv.Atoi(os.Getenv("PLANRUN_KNOWNHOSTS_LOGINS")); err == nil {
		n = v
	}
	srv := sshtest.StartSSHD(t)
	p := port(srv)
	keys := map[string]ssh.PublicKey{"plain": srv.HostKey.Public(), "ca": srv.HostCA.Public(), "other": sshtest.NewKey(t).Public()}
	rnd := rand.New(rand.NewPCG(3, uint64(n)))
	pick := func(xs ...string) string { return xs[rnd.IntN(len(xs))] }
	for i := range n {
		var lines []string
		for range 1 + rnd.IntN(4) {
			marker := pick("", "", "@cert-authority ", "@revoked ")
			names := pick("[127.0.0.1]:"+p, "127.0.0.1", "*", "[127.0.0.*]:"+p, "cluster-a", "!127.0.0.1,*", "other")
			k := keys[pick("plain", "ca", "other")]
			lines = append(lines, strings.TrimSpace(marker+names+" "+string(ssh.MarshalAuthorizedKey(k))))
		}
		alias := pick("", "", "", "cluster-a")
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			known := filepath.Join(t.TempDir(), "known_hosts")
			os.WriteFile(known, []byte(strings.Join(lines, "\n")+"\n"), 0o600)
			if ok, out := sshLogin(t, srv, known, alias); ok != planrunLogin(t, srv, known, alias) {
				t.Errorf("alias %q, known_hosts:\n%s\nssh ok=%v (%s), planrun the other way", alias, strings.Join(lines, "\n"), ok, out)
			}
		})
	}
}

// sshLogin runs `true` on srv with OpenSSH's ssh client, checking host keys
// against known (and HostKeyAlias alias, if set) only.
func sshLogin(t *testing.T, srv *sshtest.Server, known, alias string) (bool, string) {
	t.Helper()
	args := []string{"-F", "/dev/null", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
		"-o", "UserKnownHostsFile=" + known, "-o", "GlobalKnownHostsFile=/dev/null", "-o", "UpdateHostKeys=no",
		"-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none", "-i", srv.IdentityFile, "-p", port(srv)}
	if alias != "" {
		args = append(args, "-o", "HostKeyAlias="+alias)
	}
	out, err := exec.Command("ssh", append(args, srv.User+"@127.0.0.1", "true")...).CombinedOutput()
	return err == nil, string(out)
}

// planrunLogin is sshLogin through planrun.
func planrunLogin(t *testing.T, srv *sshtest.Server, known, alias string) bool {
	t.Helper()
	spec := hosts.Spec{SSH: srv.User + "@" + srv.Addr, IdentityFiles: []string{srv.IdentityFile}, KnownHosts: known, SSHConfig: "none"}
	if alias != "" {
		spec.SSHConfig = writeConfig(t, "Host *\n  HostKeyAlias "+alias+"\n")
	}
	h, err := hosts.NewSSH("a", spec, hosts.SSHOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	_, err = h.Exec(context.Background(), hosts.Command{Path: "true"})
	if err != nil {
		t.Log("planrun:", err)
	}
	return err == nil
}

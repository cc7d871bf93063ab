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
			args := []string{"-F", "/dev/null", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
				"-o", "UserKnownHostsFile=" + known, "-o", "GlobalKnownHostsFile=/dev/null", "-o", "UpdateHostKeys=no",
				"-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none", "-i", srv.IdentityFile, "-p", p}
			spec := hosts.Spec{SSH: srv.User + "@" + srv.Addr, IdentityFiles: []string{srv.IdentityFile},
				KnownHosts: known, SSHConfig: "none"}
			if tc.alias != "" {
				args = append(args, "-o", "HostKeyAlias="+tc.alias)
				spec.SSHConfig = writeConfig(t, "Host *\n  HostKeyAlias "+tc.alias+"\n")
			}
			out, sshErr := exec.Command("ssh", append(args, srv.User+"@127.0.0.1", "true")...).CombinedOutput()
			if (sshErr == nil) != tc.ok {
				t.Fatalf("ssh: %v (want ok=%v)\n%s", sshErr, tc.ok, out)
			}
			h, err := hosts.NewSSH("a", spec, hosts.SSHOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close()
			_, err = h.Exec(context.Background(), hosts.Command{Path: "true"})
			if (err == nil) != tc.ok {
				t.Fatalf("planrun: %v; ssh: ok=%v", err, tc.ok)
			}
		})
	}
}

package sshconfig

import (
	"crypto/ed25519"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// FuzzLookup: any config text is read without a panic, to settings or an
// error naming the file and line. Match exec lines are left out (they run
// commands).
func FuzzLookup(f *testing.F) {
	for _, s := range []string{
		"Host a\n  HostName %h.example\n  User app\n  Port 2222\n  IdentityFile ~/.ssh/%r@%h\n",
		"Match host a,!b user root final\n  ProxyJump u@j:22,k\nHost *\n  ConnectTimeout 1m30s\n",
		"IgnoreUnknown x*\nXyz 1\nCanonicalizeHostname yes\nCanonicalDomains example.invalid\nCanonicalizeFallbackLocal no\n",
		"Host \"a b\" 'c'\n  ProxyCommand = nc %h %p # c\n  UserKnownHostsFile none\n", "Tag t\nMatch tagged t localnetwork 10.0.0.0/8\n  Port 1\n",
		"Host a\n  HostName ${NOPE}\n", "Host=a\nUser=\"x\\\"y\"\n", "Match all\nMatch !all\nMatch canonical\n",
	} {
		f.Add(s, "a")
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, text, host string) {
		if strings.Contains(strings.ToLower(text), "exec") || strings.Contains(strings.ToLower(text), "include") ||
			strings.Contains(strings.ToLower(text), "canonicaldomains") {
			return // commands, other files, DNS
		}
		cfg := filepath.Join(dir, "config")
		if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Lookup([]File{{Path: cfg}}, Query{Host: host})
		if err != nil && !strings.Contains(err.Error(), cfg) {
			t.Fatalf("error %q does not name the file", err)
		}
	})
}

// FuzzKnownHosts: any known_hosts text is read without a panic, and a
// key is checked against it without one.
func FuzzKnownHosts(f *testing.F) {
	pub, _, _ := ed25519.GenerateKey(nil)
	key, err := ssh.NewPublicKey(pub)
	if err != nil {
		f.Fatal(err)
	}
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(key)))
	for _, s := range []string{
		"a,b " + line + "\n", "[a]:2222 " + line + "\n", "@cert-authority *.example " + line + "\n",
		"@revoked * " + line + "\n", "|1|c2FsdA==|aGFzaA== " + line + "\n", "!a,* " + line + " comment\n", "# x\n\n a\n",
	} {
		f.Add(s, "a", "2222")
	}
	file := filepath.Join(f.TempDir(), "known_hosts")
	f.Fuzz(func(t *testing.T, text, host, port string) {
		if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		db, err := ReadKnownHosts(file)
		if err != nil {
			t.Fatal(err)
		}
		db.CheckHostKey(Target{Host: host, Port: port}, key)
		db.CheckHostKey(Target{Host: host, Port: port, Alias: "alias"}, key)
		db.HostKeyAlgorithms(Target{Host: host, Port: port})
	})
}

package sshconfig_test

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/ssh"

	"github.com/planrun/planrun/internal/sshconfig"
)

func newKey(t *testing.T) ssh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func keyText(k ssh.PublicKey) string { return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k))) }

// hashed is name as ssh-keygen -H writes it.
func hashed(name string) string {
	salt := make([]byte, 20)
	rand.Read(salt)
	m := hmac.New(sha1.New, salt)
	m.Write([]byte(name))
	return "|1|" + base64.StdEncoding.EncodeToString(salt) + "|" + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func TestKnownHostsLookup(t *testing.T) {
	a, b := newKey(t).PublicKey(), newKey(t).PublicKey()
	text := strings.Join([]string{
		"# a comment",
		"",
		"fate-a,10.1.0.5 " + keyText(a) + " a comment",    // 3
		"[fate-b]:2222 " + keyText(b),                     // 4
		"@cert-authority *.corp " + keyText(b),            // 5
		"@revoked * " + keyText(a),                        // 6
		"@trusted fate-a " + keyText(b),                   // unknown marker: skipped
		"fate-a ssh-rsa " + strings.Fields(keyText(a))[1], // type does not match the key: skipped
		"fate-a ssh-ed25519 not-base64!",                  // skipped
		"fate-a 1024 35 12345",                            // RSA1: skipped
		hashed("[fate-c]:2022") + " " + keyText(a),        // 11
		"FATE-D " + keyText(b),                            // 12
		"!fate-e,fate-* " + keyText(b),                    // 13
	}, "\n")
	dir := t.TempDir()
	file := filepath.Join(dir, "known_hosts")
	os.WriteFile(file, []byte(text), 0o600)
	db, err := sshconfig.ReadKnownHosts(filepath.Join(dir, "missing"), file)
	if err != nil {
		t.Fatal(err)
	}
	at := func(m sshconfig.Marker, k ssh.PublicKey, line int) sshconfig.KnownKey {
		return sshconfig.KnownKey{Marker: m, Key: k, File: file, Line: line}
	}
	tests := map[string][]sshconfig.KnownKey{
		"fate-a":        {at(sshconfig.HostKey, a, 3), at(sshconfig.Revoked, a, 6), at(sshconfig.HostKey, b, 13)},
		"10.1.0.5":      {at(sshconfig.HostKey, a, 3), at(sshconfig.Revoked, a, 6)},
		"[fate-b]:2222": {at(sshconfig.HostKey, b, 4), at(sshconfig.Revoked, a, 6)},
		"fate-b":        {at(sshconfig.Revoked, a, 6), at(sshconfig.HostKey, b, 13)},
		"db.corp":       {at(sshconfig.CertAuthority, b, 5), at(sshconfig.Revoked, a, 6)},
		"[fate-c]:2022": {at(sshconfig.Revoked, a, 6), at(sshconfig.HostKey, a, 11)},
		"fate-d":        {at(sshconfig.Revoked, a, 6), at(sshconfig.HostKey, b, 12), at(sshconfig.HostKey, b, 13)},
		"fate-e":        {at(sshconfig.Revoked, a, 6)},
	}
	for name, want := range tests {
		if d := cmp.Diff(want, db.Lookup(name), cmp.Comparer(func(x, y ssh.PublicKey) bool { return string(x.Marshal()) == string(y.Marshal()) })); d != "" {
			t.Errorf("Lookup(%s) (-want +got):\n%s", name, d)
		}
	}
}

func TestKnownHostsCheck(t *testing.T) {
	host, other, ca := newKey(t), newKey(t).PublicKey(), newKey(t)
	cert := &ssh.Certificate{Key: host.PublicKey(), CertType: ssh.HostCert, ValidPrincipals: []string{"fate-a"},
		ValidBefore: ssh.CertTimeInfinity}
	if err := cert.SignCert(rand.Reader, ca); err != nil {
		t.Fatal(err)
	}
	line := func(marker, hosts string, k ssh.PublicKey) string {
		return strings.TrimSpace(marker + " " + hosts + " " + keyText(k))
	}
	target := sshconfig.Target{Host: "fate-a", Port: "2222"}
	tests := map[string]struct {
		lines  []string
		key    ssh.PublicKey
		target sshconfig.Target
		want   string // "" ok, "unknown", "changed", "revoked"
		algos  []string
	}{
		"listed":                 {lines: []string{line("", "[fate-a]:2222", host.PublicKey())}, key: host.PublicKey(), algos: []string{ssh.CertAlgoED25519v01, ssh.KeyAlgoED25519}},
		"unknown":                {lines: []string{line("", "fate-b", host.PublicKey())}, key: host.PublicKey(), want: "unknown"},
		"changed":                {lines: []string{line("", "[fate-a]:2222", other)}, key: host.PublicKey(), want: "changed"},
		"bare name":              {lines: []string{line("", "fate-a", host.PublicKey())}, key: host.PublicKey(), algos: []string{ssh.CertAlgoED25519v01, ssh.KeyAlgoED25519}},
		"bare name, changed":     {lines: []string{line("", "fate-a", other)}, key: host.PublicKey(), want: "unknown"},
		"bare name, port 22":     {lines: []string{line("", "[fate-a]:22", host.PublicKey())}, key: host.PublicKey(), target: sshconfig.Target{Host: "fate-a", Port: "22"}, want: "unknown"},
		"certificate":            {lines: []string{line("@cert-authority", "*", ca.PublicKey())}, key: cert},
		"certificate, principal": {lines: []string{line("@cert-authority", "*", ca.PublicKey())}, key: cert, target: sshconfig.Target{Host: "fate-b", Port: "2222"}, want: "unknown"},
		"certificate, revoked":   {lines: []string{line("@cert-authority", "*", ca.PublicKey()), line("@revoked", "*", host.PublicKey())}, key: cert, want: "revoked"},
		"certificate, plain key": {lines: []string{line("", "[fate-a]:2222", host.PublicKey())}, key: cert},
		"alias":                  {lines: []string{line("", "keys.a", host.PublicKey())}, key: host.PublicKey(), target: sshconfig.Target{Host: "fate-a", Port: "2222", Alias: "keys.a"}},
		"nothing known":          {key: host.PublicKey(), want: "unknown"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "known_hosts")
			os.WriteFile(file, []byte(strings.Join(tc.lines, "\n")+"\n"), 0o600)
			db, err := sshconfig.ReadKnownHosts(file)
			if err != nil {
				t.Fatal(err)
			}
			tg := tc.target
			if tg.Host == "" {
				tg = target
			}
			err = db.CheckHostKey(tg, tc.key)
			var u *sshconfig.HostKeyUnknown
			var r *sshconfig.RevokedError
			got := ""
			switch {
			case errors.As(err, &u) && len(u.Known) == 0:
				got = "unknown"
			case errors.As(err, &u):
				got = "changed"
			case errors.As(err, &r):
				got = "revoked"
			case err != nil:
				got = err.Error()
			}
			if got != tc.want {
				t.Errorf("CheckHostKey = %q (%v), want %q", got, err, tc.want)
			}
			if tc.algos != nil {
				if d := cmp.Diff(tc.algos, db.HostKeyAlgorithms(tg)); d != "" {
					t.Errorf("HostKeyAlgorithms (-want +got):\n%s", d)
				}
			}
		})
	}
}

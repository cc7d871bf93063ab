package sshconfig_test

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/planrun/planrun/internal/sshconfig"
)

// TestCanonicalize: CanonicalizeHostname against a stand-in DNS that
// knows a few names, as ssh would canonicalize them (the comparison with
// ssh -G in TestAgainstOpenSSH covers the cases that need no DNS).
func TestCanonicalize(t *testing.T) {
	known := []string{"fate-a.corp.example.", "fate-b.lab.example.", "db.corp.example.", "jump.corp.example."}
	var asked []string
	old := sshconfig.Resolve
	sshconfig.Resolve = func(name string) bool {
		asked = append(asked, name)
		return slices.Contains(known, name)
	}
	t.Cleanup(func() { sshconfig.Resolve = old })
	t.Setenv("HOME", t.TempDir())
	base := "CanonicalizeHostname yes\nCanonicalDomains corp.example lab.example\n" +
		"Host *.corp.example\n  User corp\nHost *.lab.example\n  User lab\n  Port 2222\n"
	tests := map[string]struct {
		config, host string
		want         sshconfig.Settings
		asked        []string
		wantErr      string
	}{
		"first domain": {config: base, host: "fate-a",
			want:  sshconfig.Settings{HostName: "fate-a.corp.example", User: "corp"},
			asked: []string{"fate-a.corp.example."}},
		"second domain": {config: base, host: "FATE-B",
			want:  sshconfig.Settings{HostName: "fate-b.lab.example", User: "lab", Port: "2222"},
			asked: []string{"fate-b.corp.example.", "fate-b.lab.example."}},
		"not found: the name as given": {config: base, host: "fate-c",
			want:  sshconfig.Settings{HostName: "fate-c"},
			asked: []string{"fate-c.corp.example.", "fate-c.lab.example."}},
		"not found, no fallback": {config: "CanonicalizeFallbackLocal no\n" + base, host: "fate-c",
			wantErr: `could not resolve host "fate-c" with CanonicalDomains corp.example lab.example (CanonicalizeFallbackLocal no)`},
		"fully qualified": {config: base, host: "db.corp.example.",
			want:  sshconfig.Settings{HostName: "db.corp.example", User: "corp"},
			asked: []string{"db.corp.example."}},
		"too many dots": {config: base, host: "a.b.c",
			want: sshconfig.Settings{HostName: "a.b.c"}},
		"none stops the domains": {config: "CanonicalizeHostname yes\nCanonicalDomains none corp.example\n", host: "fate-a",
			want: sshconfig.Settings{HostName: "fate-a"}},
		"HostName first": {config: "Host a\n  HostName DB\n" + base, host: "a",
			want:  sshconfig.Settings{HostName: "db.corp.example", User: "corp"},
			asked: []string{"db.corp.example."}},
		"jump host: not with yes": {config: "ProxyJump jump\n" + base, host: "fate-a",
			want: sshconfig.Settings{HostName: "fate-a", ProxyJump: "jump"}},
		"jump host: with always": {config: "ProxyJump jump\nCanonicalizeHostname always\n" + base, host: "fate-a",
			want:  sshconfig.Settings{HostName: "fate-a.corp.example", User: "corp", ProxyJump: "jump"},
			asked: []string{"fate-a.corp.example."}},
		"an address": {config: base, host: "10.1.0.5",
			want: sshconfig.Settings{HostName: "10.1.0.5"}},
		"bad value": {config: "CanonicalizeHostname maybe\n", host: "a",
			wantErr: `config:1: bad CanonicalizeHostname "maybe" (want yes, no or always)`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			asked = nil
			got, ok := lookupText(t, tc.config, sshconfig.Query{Host: tc.host}, tc.wantErr)
			if !ok {
				return
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
			if d := cmp.Diff(tc.asked, asked); d != "" {
				t.Errorf("names resolved (-want +got):\n%s", d)
			}
		})
	}
}

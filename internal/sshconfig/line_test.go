package sshconfig

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestSplitLine(t *testing.T) {
	tests := map[string]struct {
		line    string
		key     string
		args    []string
		wantErr bool
	}{
		"blank":          {line: "   \t"},
		"comment":        {line: "  # Host x"},
		"keyword only":   {line: "Host", key: "host"},
		"case":           {line: "  HostName  Example.COM", key: "hostname", args: []string{"Example.COM"}},
		"equals":         {line: "Port=22", key: "port", args: []string{"22"}},
		"equals spaced":  {line: "Port = 22", key: "port", args: []string{"22"}},
		"several":        {line: "Host a b\tc", key: "host", args: []string{"a", "b", "c"}},
		"double quotes":  {line: `IdentityFile "/my keys/id"`, key: "identityfile", args: []string{"/my keys/id"}},
		"single quotes":  {line: `IdentityFile 'a b' c`, key: "identityfile", args: []string{"a b", "c"}},
		"escapes":        {line: `X c\ d "e\"f" g\\h`, key: "x", args: []string{"c d", `e"f`, `g\h`}},
		"quote mid-word": {line: `X a"b c"d`, key: "x", args: []string{"ab cd"}},
		"comment after":  {line: "User bob # the admin", key: "user", args: []string{"bob"}},
		"hash in word":   {line: "User bob#1", key: "user", args: []string{"bob#1"}},
		"crlf":           {line: "User bob\r", key: "user", args: []string{"bob"}},
		"unterminated":   {line: `User "bob`, wantErr: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			key, args, err := splitLine(tc.line)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if key != tc.key {
				t.Errorf("key = %q, want %q", key, tc.key)
			}
			if d := cmp.Diff(tc.args, args, cmpopts.EquateEmpty()); d != "" {
				t.Errorf("args (-want +got):\n%s", d)
			}
		})
	}
}

func TestMatch(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true},
		{"*", "anything", true},
		{"a*", "abc", true},
		{"*c", "abc", true},
		{"a*c", "ac", true},
		{"a*c", "abcbc", true},
		{"a*c", "abcb", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"10.0.*.5", "10.0.12.5", true},
		{"10.0.*.5", "10.0.12.6", false},
		{"*.*.fate", "a.b.fate", true},
		{"[ab]", "a", false}, // no character classes: '[' is itself
		{"[ab]", "[ab]", true},
		{"abc", "ab", false},
		{"**x", "x", true},
	}
	for _, tc := range tests {
		if got := match(tc.pattern, tc.s); got != tc.want {
			t.Errorf("match(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
	lists := []struct {
		list, s string
		fold    bool
		want    bool
	}{
		{"a,b", "b", false, true},
		{"a,b", "c", false, false},
		{"*,!b", "b", false, false},
		{"!b,*", "b", false, false},
		{"!b", "a", false, false}, // a negation alone matches nothing
		{"A*", "abc", true, true},
		{"A*", "abc", false, false},
	}
	for _, tc := range lists {
		if got := matchList(tc.list, tc.s, tc.fold); got != tc.want {
			t.Errorf("matchList(%q, %q, %v) = %v, want %v", tc.list, tc.s, tc.fold, got, tc.want)
		}
	}
}

package fate

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestGenModelID(t *testing.T) {
	tests := map[string]struct {
		roles Roles
		want  string
	}{
		"fate example":    {Roles{"guest": {9999}, "host": {10000}, "arbiter": {10000}}, "arbiter-10000#guest-9999#host-10000#model"},
		"numeric sort":    {Roles{"host": {100, 20}}, "host-20_100#model"},
		"duplicates once": {Roles{"host": {7, 7, 3}}, "host-3_7#model"},
		"empty":           {Roles{}, "all#model"},
		"nil":             {nil, "all#model"},
		"roles sorted":    {Roles{"local": {1}, "guest": {2}, "arbiter": {3}}, "arbiter-3#guest-2#local-1#model"},
		"empty id list":   {Roles{"host": {}}, "host-#model"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := GenModelID(tc.roles); got != tc.want {
				t.Errorf("GenModelID(%v) = %q, want %q", tc.roles, got, tc.want)
			}
		})
	}
}

func TestPartyModelID(t *testing.T) {
	got := PartyModelID("guest", 99, "arbiter-100#guest-99#host-100#model")
	if want := "guest#99#arbiter-100#guest-99#host-100#model"; got != want {
		t.Fatalf("PartyModelID = %q, want %q", got, want)
	}
	role, id, mid, err := ParsePartyModelID(got)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]any{"guest", int64(99), "arbiter-100#guest-99#host-100#model"}, []any{role, id, mid}); diff != "" {
		t.Errorf("ParsePartyModelID (-want +got):\n%s", diff)
	}
	for _, bad := range []string{"guest", "guest#x#m", "#1#m", "guest#1#"} {
		if _, _, _, err := ParsePartyModelID(bad); err == nil {
			t.Errorf("ParsePartyModelID(%q) succeeded, want an error", bad)
		}
	}
}

func TestParseParty(t *testing.T) {
	p, err := ParseParty("host:10000")
	if err != nil || p != (Party{Role: "host", PartyID: 10000}) || p.String() != "host:10000" {
		t.Fatalf("ParseParty = %v, %v", p, err)
	}
	for _, bad := range []string{"host", "host:x", ":1", "host:1.5"} {
		if _, err := ParseParty(bad); err == nil {
			t.Errorf("ParseParty(%q) succeeded, want an error", bad)
		}
	}
}

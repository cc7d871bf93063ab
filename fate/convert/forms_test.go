package convert

import "testing"

// TestPartyForms: every party-bearing form is found for an old id, and
// nothing else is: other ids, ids running on into more digits, roles
// inside words.
func TestPartyForms(t *testing.T) {
	f := NewPartyForms(map[string][]int64{"guest": {9999}, "host": {10000, 10001}})
	for _, tc := range []struct {
		s    string
		want bool
	}{
		{"guest:9999", true},
		{"host_10000_x0", true},
		{"host_10000", true},
		{"(guest,9999)", true},
		{"(guest, 9999)", true},
		{"guest#9999#arbiter-100#guest-99#host-100#model", true},
		{"arbiter-100#guest-99#host-10000_10001#model", true},
		{"arbiter-100#guest-99#host-100_10001", true},
		{"guest:99", false},
		{"guest:99990", false},
		{"host_100000_x0", false},
		{"host_10000x", false},
		{"myguest:9999", false},
		{"guest#9999", false},
		{"host-10000x", false},
		{"guest-9999-", false},
		{"arbiter:9999", false},
		{"(guest 9999)", false},
	} {
		if got := f.Match(tc.s); got != tc.want {
			t.Errorf("Match(%q) = %v, want %v", tc.s, got, tc.want)
		}
	}
	if !f.HasID("host", 10001) || f.HasID("guest", 10001) || !f.HasID("", 10001) || f.HasID("", 5) {
		t.Error("HasID")
	}
	if !f.IsRole("guest") || f.IsRole("arbiter") {
		t.Error("IsRole")
	}
}

package fate

import "github.com/planrun/planrun/fate/convert"

// partyForms finds old party ids in party-bearing strings — "role:pid",
// "role_pid" / "role_pid_…" (anonymous names), "(role,pid)" and
// "(role, pid)", "role#pid#" (party model ids) and "role-pid_pid…" (the
// parts of a model id) — and in plain id fields. The matching itself is
// convert's, so buffers and documents are scanned by the same rules.
type partyForms struct{ m *convert.PartyForms }

func newPartyForms(old map[string][]int64) *partyForms {
	return &partyForms{convert.NewPartyForms(old)}
}

// hasID reports whether id is an old id of role ("" for any role).
func (f *partyForms) hasID(role string, id int64) bool { return f.m.HasID(role, id) }

// isRole reports whether name is a role with old ids.
func (f *partyForms) isRole(name string) bool { return f.m.IsRole(name) }

// match reports whether s holds an old id in a party-bearing form.
func (f *partyForms) match(s string) bool { return f.m.Match(s) }

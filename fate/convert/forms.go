package convert

import (
	"strconv"
	"strings"
)

// oldIDs recognises old party ids in party-bearing strings.
type oldIDs struct {
	ids   map[string]map[int64]bool // role -> old ids
	roles []string
	memo  map[string]bool // string -> has a party-bearing old id
}

func newOldIDs(old map[string][]int64) *oldIDs {
	o := &oldIDs{ids: map[string]map[int64]bool{}, memo: map[string]bool{}}
	for role, ids := range old {
		if len(ids) == 0 {
			continue
		}
		set := make(map[int64]bool, len(ids))
		for _, id := range ids {
			set[id] = true
		}
		o.ids[role] = set
		o.roles = append(o.roles, role)
	}
	return o
}

// matchBytes is match for bytes, without copying them when the answer is
// already known.
func (o *oldIDs) matchBytes(b []byte) bool {
	if len(o.roles) == 0 || len(b) < 3 {
		return false
	}
	if v, ok := o.memo[string(b)]; ok {
		return v
	}
	return o.match(string(b))
}

// has reports whether role's old ids include the integer id.
func (o *oldIDs) has(role, id string) bool {
	v, ok := pyInt(id)
	return ok && o.ids[role][v]
}

// match reports whether s holds an old id in a party-bearing form:
// "role:pid", "role_pid" or "role_pid_…", "(role,pid)" or "(role, pid)",
// "role#pid#" (a party model id), "role-pid_pid…" (a part of a model id),
// the role starting s or following a character that is not a letter or
// digit, and the id not running on into more digits.
func (o *oldIDs) match(s string) bool {
	if len(o.roles) == 0 || len(s) < 3 {
		return false
	}
	if v, ok := o.memo[s]; ok {
		return v
	}
	found := false
	for _, role := range o.roles {
		if o.matchRole(s, role) {
			found = true
			break
		}
	}
	if len(o.memo) < 1<<16 {
		o.memo[s] = found
	}
	return found
}

func (o *oldIDs) matchRole(s, role string) bool {
	for from := 0; ; {
		i := strings.Index(s[from:], role)
		if i < 0 {
			return false
		}
		i += from
		from = i + 1
		if i > 0 && isWordByte(s[i-1]) {
			continue
		}
		j := i + len(role)
		if j >= len(s) {
			return false
		}
		switch sep := s[j]; {
		case sep == ':' || sep == '_':
			id, end := digitsAt(s, j+1)
			if id == "" || !o.has(role, id) {
				continue
			}
			if sep == ':' || end == len(s) || s[end] == '_' {
				return true
			}
		case sep == '#': // role#pid# in a party model id
			id, end := digitsAt(s, j+1)
			if id != "" && end < len(s) && s[end] == '#' && o.has(role, id) {
				return true
			}
		case sep == '-': // role-1_2_3 in a model id, ended by '#' or the end
			if o.modelIDPart(s, j+1, role) {
				return true
			}
		case sep == ',' && i > 0 && s[i-1] == '(':
			k := j + 1
			if k < len(s) && s[k] == ' ' {
				k++
			}
			id, end := digitsAt(s, k)
			if id != "" && end < len(s) && s[end] == ')' && o.has(role, id) {
				return true
			}
		}
	}
}

// modelIDPart reports whether s[k:] is a model id part's ids "1_2_3",
// ended by '#' or the end of s, with an old id of role among them.
func (o *oldIDs) modelIDPart(s string, k int, role string) bool {
	hit := false
	for {
		id, end := digitsAt(s, k)
		if id == "" || id[0] == '-' {
			return false
		}
		hit = hit || o.has(role, id)
		if end < len(s) && s[end] == '_' {
			k = end + 1
			continue
		}
		return hit && (end == len(s) || s[end] == '#')
	}
}

// PartyForms recognises old party ids in party-bearing strings (the forms
// match lists) and in plain id fields; the residue scans of buffers here
// and of JSON and YAML documents in package fate share it. Not safe for
// concurrent use.
type PartyForms struct{ o *oldIDs }

// NewPartyForms returns a matcher for the old ids, per role.
func NewPartyForms(old map[string][]int64) *PartyForms { return &PartyForms{newOldIDs(old)} }

// Match reports whether s holds an old id in a party-bearing form.
func (p *PartyForms) Match(s string) bool { return p.o.match(s) }

// HasID reports whether id is an old id of role ("" for any role).
func (p *PartyForms) HasID(role string, id int64) bool {
	if role != "" {
		return p.o.ids[role][id]
	}
	for _, ids := range p.o.ids {
		if ids[id] {
			return true
		}
	}
	return false
}

// IsRole reports whether name is a role with old ids.
func (p *PartyForms) IsRole(name string) bool { return p.o.ids[name] != nil }

// digitsAt returns the run of digits (with an optional leading '-') at
// s[k:] and the index after it.
func digitsAt(s string, k int) (string, int) {
	start := k
	if k < len(s) && s[k] == '-' {
		k++
	}
	d := k
	for k < len(s) && s[k] >= '0' && s[k] <= '9' {
		k++
	}
	if k == d {
		return "", start
	}
	return s[start:k], k
}

func isWordByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// plainOld reports whether id (a plain party id field) is an old id of role.
func (o *oldIDs) plainOld(role, id string) bool { return o.has(role, id) }

func itoa(i int) string { return strconv.Itoa(i) }

// quoteKey renders a map key inside a field path.
func quoteKey(k string) string {
	if strings.ContainsAny(k, "[]. \"") {
		return strconv.Quote(k)
	}
	return k
}

package fate

import (
	"strconv"
	"strings"
)

// partyForms finds old party ids in party-bearing strings:
// "role:pid", "role_pid" / "role_pid_…" (anonymous names), "(role,pid)" and
// "(role, pid)", "role#pid#" (party model ids) and "role-pid_pid…" (the
// parts of a model id). The role must start the string or follow a
// character that is not a letter or digit; the id must not run on into
// more digits.
type partyForms struct {
	old map[string]map[int64]bool
}

func newPartyForms(old map[string][]int64) *partyForms {
	f := &partyForms{old: map[string]map[int64]bool{}}
	for r, ids := range old {
		for _, id := range ids {
			if f.old[r] == nil {
				f.old[r] = map[int64]bool{}
			}
			f.old[r][id] = true
		}
	}
	return f
}

// hasID reports whether id is an old id of role ("" for any role).
func (f *partyForms) hasID(role string, id int64) bool {
	if role != "" {
		return f.old[role][id]
	}
	for _, ids := range f.old {
		if ids[id] {
			return true
		}
	}
	return false
}

// isRole reports whether name is a role with old ids.
func (f *partyForms) isRole(name string) bool { return f.old[name] != nil }

// match reports whether s holds an old id in a party-bearing form.
func (f *partyForms) match(s string) bool {
	for role := range f.old {
		if f.matchRole(s, role) {
			return true
		}
	}
	return false
}

func (f *partyForms) matchRole(s, role string) bool {
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
		switch s[j] {
		case ':', '_', '#':
			id, end := digitsAt(s, j+1)
			if id < 0 || !f.old[role][id] {
				continue
			}
			if s[j] == '#' && (end >= len(s) || s[end] != '#') {
				continue
			}
			if s[j] == '_' && end < len(s) && s[end] != '_' {
				continue
			}
			return true
		case ',':
			if i == 0 || s[i-1] != '(' {
				continue
			}
			k := j + 1
			if k < len(s) && s[k] == ' ' {
				k++
			}
			if id, end := digitsAt(s, k); id >= 0 && f.old[role][id] && end < len(s) && s[end] == ')' {
				return true
			}
		case '-': // role-1_2_3 in a model id, ended by '#' or the end
			k := j + 1
			hit := false
			for {
				id, end := digitsAt(s, k)
				if id < 0 {
					break
				}
				hit = hit || f.old[role][id]
				if end < len(s) && s[end] == '_' {
					k = end + 1
					continue
				}
				if hit && (end == len(s) || s[end] == '#') {
					return true
				}
				break
			}
		}
	}
}

// digitsAt reads the integer starting at s[i] (-1 if none) and where it ends.
func digitsAt(s string, i int) (int64, int) {
	j := i
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	if j == i {
		return -1, i
	}
	n, err := strconv.ParseInt(s[i:j], 10, 64)
	if err != nil {
		return -1, j
	}
	return n, j
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

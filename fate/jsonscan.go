package fate

import (
	"fmt"
	"strconv"
	"strings"
)

// scanJSON reports old party ids in a JSON document: party-bearing
// strings (values and keys), role lists ({"guest": [9999]}), and fields
// whose name holds "party_id" (checked against the sibling "role" when
// there is one).
func (f *partyForms) scanJSON(v *jsonValue, path string, emit func(field, value string)) {
	switch v.kind {
	case jsonString:
		if f.match(v.text) {
			emit(path, v.text)
		}
	case jsonArray:
		for i, x := range v.vals {
			f.scanJSON(x, fmt.Sprintf("%s[%d]", path, i), emit)
		}
	case jsonObject:
		siblingRole := ""
		if r := v.get("role"); r != nil && r.kind == jsonString {
			siblingRole = r.text
		}
		for i, k := range v.keys {
			x := v.vals[i]
			p := joinPath(path, k)
			if f.match(k) {
				emit(p+"(key)", k)
			}
			switch {
			case f.isRole(k):
				f.scanIDs(x, k, p, emit)
			case strings.Contains(k, "party_id"):
				role := siblingRole
				if k != "party_id" {
					// e.g. initiator_party_id next to initiator_role
					if r := v.get(strings.Replace(k, "party_id", "role", 1)); r != nil && r.kind == jsonString {
						role = r.text
					}
				}
				f.scanIDs(x, role, p, emit)
			}
			f.scanJSON(x, p, emit)
		}
	}
}

// scanIDs reports ids (an integer, a numeric string or a list of them)
// that are old ids of role ("" for any role).
func (f *partyForms) scanIDs(v *jsonValue, role, path string, emit func(field, value string)) {
	switch v.kind {
	case jsonNumber, jsonString:
		n, ok := v.asInt()
		if v.kind == jsonString {
			var err error
			n, err = strconv.ParseInt(strings.TrimSpace(v.text), 10, 64)
			ok = err == nil
		}
		if ok && f.hasID(role, n) {
			emit(path, strconv.FormatInt(n, 10))
		}
	case jsonArray:
		for i, x := range v.vals {
			if x.kind == jsonNumber || x.kind == jsonString {
				f.scanIDs(x, role, fmt.Sprintf("%s[%d]", path, i), emit)
			}
		}
	}
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

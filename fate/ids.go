package fate

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Roles maps each role name to its party ids, as in a runtime conf's
// "role" section. Order within a list matters for mapping by position.
type Roles map[string][]int64

// AllPartyKey is FATE's all_party_key: the role names sorted, each written
// as role-id_id (the set of its ids sorted numerically, joined by "_"),
// joined by "#"; no roles gives "all".
func AllPartyKey(roles Roles) string {
	if len(roles) == 0 {
		return "all"
	}
	names := make([]string, 0, len(roles))
	for r := range roles {
		names = append(names, r)
	}
	slices.Sort(names)
	parts := make([]string, 0, len(names))
	for _, r := range names {
		ids := slices.Clone(roles[r])
		slices.Sort(ids)
		ids = slices.Compact(ids)
		s := make([]string, len(ids))
		for i, id := range ids {
			s[i] = strconv.FormatInt(id, 10)
		}
		parts = append(parts, r+"-"+strings.Join(s, "_"))
	}
	return strings.Join(parts, "#")
}

// GenModelID is FATE's gen_model_id: AllPartyKey(roles) + "#model".
func GenModelID(roles Roles) string { return AllPartyKey(roles) + "#model" }

// PartyModelID is FATE's gen_party_model_id: role#party_id#model_id.
func PartyModelID(role string, partyID int64, modelID string) string {
	return role + "#" + strconv.FormatInt(partyID, 10) + "#" + modelID
}

// ParsePartyModelID splits a `<role>#<party_id>#<model_id>` name (a
// model_local_cache directory name) into its parts.
func ParsePartyModelID(s string) (role string, partyID int64, modelID string, err error) {
	parts := strings.SplitN(s, "#", 3)
	if len(parts) != 3 || parts[0] == "" || parts[2] == "" {
		return "", 0, "", fmt.Errorf("parse party model id %q: want <role>#<party_id>#<model_id>", s)
	}
	id, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return "", 0, "", fmt.Errorf("parse party model id %q: party id %q is not an integer", s, parts[1])
	}
	return parts[0], id, parts[2], nil
}

// ParseParty parses "role:id" (as given to --party).
func ParseParty(s string) (Party, error) {
	role, id, ok := strings.Cut(s, ":")
	if !ok || role == "" {
		return Party{}, fmt.Errorf("parse party %q: want ROLE:PARTY_ID", s)
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return Party{}, fmt.Errorf("parse party %q: party id must be an integer", s)
	}
	if n < 0 {
		return Party{}, fmt.Errorf("parse party %q: party id must be 0 or more", s)
	}
	return Party{Role: role, PartyID: n}, nil
}

// String writes the party as role:id.
func (p Party) String() string { return p.Role + ":" + strconv.FormatInt(p.PartyID, 10) }

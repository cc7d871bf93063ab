package fate

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/planrun/planrun/fate/convert"
	"github.com/planrun/planrun/internal/suggest"
)

// MigrateConfig is FATE's migrate_model.json. ParseMigrateConfig reads it
// keeping key order and unknown fields, so MarshalJSON writes back what it
// read (with any changed known field in place). A config built in Go has
// no such document; Validate checks it with the same rules.
type MigrateConfig struct {
	JobParameters     map[string]any     `json:"job_parameters"`
	Role              map[string][]int64 `json:"role"`
	ExecuteParty      map[string][]int64 `json:"execute_party"`
	MigrateInitiator  Party              `json:"migrate_initiator"`
	MigrateRole       map[string][]int64 `json:"migrate_role"`
	ModelID           string             `json:"model_id"`
	ModelVersion      string             `json:"model_version"`
	UnifyModelVersion string             `json:"unify_model_version,omitempty"`

	raw *jsonValue // the document as read (order, unknown fields)
}

// Party is a role and a party id.
type Party struct {
	Role    string `json:"role"`
	PartyID int64  `json:"party_id"`
}

// Problem is one thing wrong with a config, at a JSON field path such as
// "migrate_role.host[0]" (empty for the document as a whole).
type Problem struct {
	Path string
	Msg  string
}

// ConfigError lists every problem found in a config file.
type ConfigError struct {
	File     string
	Problems []Problem
}

func (e *ConfigError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		var prefix []string
		if e.File != "" {
			prefix = append(prefix, e.File)
		}
		if p.Path != "" {
			prefix = append(prefix, p.Path)
		}
		prefix = append(prefix, p.Msg)
		lines[i] = strings.Join(prefix, ": ")
	}
	return strings.Join(lines, "\n")
}

// FATE's messages (fate_flow apps/model_app.py, pipelined_model/migrate_model.py).
const (
	msgRoleStructure = "The structure of roles data of local configuration is different from " +
		"model runtime configuration's. Migration aborting."
	msgNoNeed = "The config of previous roles is the same with that of migrate roles. " +
		"There is no need to migrate model. Migration process aborting."
	msgNotInteger = "party id must be an integer"
)

// migrateRequired lists migrate_model.json's required keys in FATE's order.
var migrateRequired = []string{"migrate_initiator", "role", "migrate_role", "model_id",
	"model_version", "execute_party", "job_parameters"}

func missingMessage(keys []string) string {
	return "required argument are missing: " + strings.Join(keys, ",") + "; "
}

// parseConfigDoc parses a FATE config file that must be a JSON object and
// lists the required keys it lacks (FATE's message) as its first problem.
// A document that is not an object at all is an error.
func parseConfigDoc(data []byte, file string, required []string) (*jsonValue, []Problem, error) {
	doc, err := parseJSON(data)
	if err != nil {
		return nil, nil, &ConfigError{File: file, Problems: []Problem{{Msg: "parse JSON: " + err.Error()}}}
	}
	if doc.kind != jsonObject {
		return nil, nil, &ConfigError{File: file, Problems: []Problem{{Msg: "want an object, got " + doc.describe()}}}
	}
	var missing []string
	for _, k := range required {
		if doc.get(k) == nil {
			missing = append(missing, k)
		}
	}
	var probs []Problem
	if len(missing) > 0 {
		probs = append(probs, Problem{"", missingMessage(missing)})
		// FATE ignores keys it does not know; one that is a typo of a
		// missing key is worth saying.
		for _, k := range doc.keys {
			if m, ok := suggest.Closest(k, missing); ok {
				probs = append(probs, Problem{k, fmt.Sprintf("not a key FATE reads: did you mean %q?", m)})
			}
		}
	}
	return doc, probs, nil
}

// ParseMigrateConfig parses and validates migrate_model.json; file names
// it in errors. A *ConfigError lists every problem found.
func ParseMigrateConfig(data []byte, file string) (*MigrateConfig, error) {
	doc, probs, err := parseConfigDoc(data, file, migrateRequired)
	if err != nil {
		return nil, err
	}
	c := &MigrateConfig{raw: doc}
	add := func(path, msg string) { probs = append(probs, Problem{path, msg}) }
	if v := doc.get("job_parameters"); v != nil {
		if v.kind != jsonObject {
			add("job_parameters", "want an object, got "+v.describe())
		} else {
			c.JobParameters = toGo(v).(map[string]any)
		}
	}
	c.Role = decodeRoles(doc.get("role"), "role", add)
	c.MigrateRole = decodeRoles(doc.get("migrate_role"), "migrate_role", add)
	c.ExecuteParty = decodeRoles(doc.get("execute_party"), "execute_party", add)
	if v := doc.get("migrate_initiator"); v != nil {
		c.MigrateInitiator = decodeParty(v, "migrate_initiator", add)
	}
	c.ModelID = decodeString(doc.get("model_id"), "model_id", add)
	c.ModelVersion = decodeString(doc.get("model_version"), "model_version", add)
	c.UnifyModelVersion = decodeString(doc.get("unify_model_version"), "unify_model_version", add)
	if len(probs) == 0 {
		probs = c.problems(false)
	}
	if len(probs) > 0 {
		return nil, &ConfigError{File: file, Problems: probs}
	}
	return c, nil
}

// Validate checks a config with FATE's rules plus planrun's own (guest and
// host present, execute_party within role, the initiator among the new
// parties, one new id per old id).
func (c *MigrateConfig) Validate() error {
	if probs := c.problems(true); len(probs) > 0 {
		return &ConfigError{Problems: probs}
	}
	return nil
}

func (c *MigrateConfig) problems(checkRequired bool) []Problem {
	var probs []Problem
	add := func(path, msg string) { probs = append(probs, Problem{path, msg}) }
	if checkRequired {
		var missing []string
		for _, k := range migrateRequired {
			zero := map[string]bool{
				"migrate_initiator": c.MigrateInitiator.Role == "", "role": c.Role == nil,
				"migrate_role": c.MigrateRole == nil, "model_id": c.ModelID == "",
				"model_version": c.ModelVersion == "", "execute_party": c.ExecuteParty == nil,
				"job_parameters": c.JobParameters == nil && c.raw == nil,
			}[k]
			if zero {
				missing = append(missing, k)
			}
		}
		if len(missing) > 0 {
			return []Problem{{Msg: missingMessage(missing)}}
		}
	}
	if c.ModelID == "" {
		add("model_id", "must not be empty")
	}
	if c.ModelVersion == "" {
		add("model_version", "must not be empty")
	}
	for _, r := range []string{"guest", "host"} {
		if _, ok := c.Role[r]; !ok {
			add("role", "the "+r+" role is required")
		}
	}
	// FATE's compare_roles(migrate_role, role).
	structure := len(c.Role) == len(c.MigrateRole)
	same := true
	for _, r := range sortedKeys(c.MigrateRole) {
		old, ok := c.Role[r]
		if !ok {
			structure = false
			add("migrate_role."+r, msgRoleStructure+" (role "+r+" is not in role)")
			continue
		}
		if len(old) != len(c.MigrateRole[r]) {
			structure = false
			add("migrate_role."+r, fmt.Sprintf("%s (%d ids in role.%s, %d here)", msgRoleStructure, len(old), r, len(c.MigrateRole[r])))
			continue
		}
		if !sameSet(old, c.MigrateRole[r]) {
			same = false
		}
	}
	for _, r := range sortedKeys(c.Role) {
		if _, ok := c.MigrateRole[r]; !ok {
			structure = false
			add("role."+r, msgRoleStructure+" (role "+r+" is not in migrate_role)")
		}
	}
	if structure && same {
		add("migrate_role", msgNoNeed)
	}
	if structure {
		for _, r := range sortedKeys(c.Role) {
			seen := map[int64]int64{}
			for i, old := range c.Role[r] {
				nw := c.MigrateRole[r][i]
				if prev, ok := seen[old]; ok && prev != nw {
					add(fmt.Sprintf("migrate_role.%s[%d]", r, i), fmt.Sprintf("old party id %d of role %s is mapped to both %d and %d", old, r, prev, nw))
				}
				seen[old] = nw
			}
		}
	}
	for _, r := range sortedKeys(c.ExecuteParty) {
		ids, ok := c.Role[r]
		if !ok {
			add("execute_party."+r, "role "+r+" is not in role")
			continue
		}
		for i, id := range c.ExecuteParty[r] {
			if !slices.Contains(ids, id) {
				add(fmt.Sprintf("execute_party.%s[%d]", r, i), fmt.Sprintf("party id %d is not in role.%s %v", id, r, ids))
			}
		}
	}
	ini := c.MigrateInitiator
	if ini.Role == "" {
		add("migrate_initiator.role", "must not be empty")
	} else if ids, ok := c.MigrateRole[ini.Role]; !ok {
		add("migrate_initiator.role", "role "+strconv.Quote(ini.Role)+" is not in migrate_role")
	} else if !slices.Contains(ids, ini.PartyID) {
		add("migrate_initiator.party_id", fmt.Sprintf("party id %d is not in migrate_role.%s %v", ini.PartyID, ini.Role, ids))
	}
	return probs
}

// Mapping maps each role's old party ids to the new ones, by position.
func (c *MigrateConfig) Mapping() convert.Mapping {
	m := convert.Mapping{}
	for r, olds := range c.Role {
		m[r] = map[int64]int64{}
		for i, old := range olds {
			if i < len(c.MigrateRole[r]) {
				m[r][old] = c.MigrateRole[r][i]
			}
		}
	}
	return m
}

// NewPartyID is the new id of role's old party oldID: the id at the same
// position in migrate_role, which is how FATE Flow's /migrate pairs them
// (res_dict in apps/model_app.py; when an old id repeats, its last
// position wins there and here). ok is false when oldID is not in role or
// has no counterpart.
func (c *MigrateConfig) NewPartyID(role string, oldID int64) (newID int64, ok bool) {
	newID, ok = c.Mapping()[role][oldID]
	return newID, ok
}

// Changed lists, per role, the old party ids that get a different id: the
// ids a migrated model must no longer contain.
func (c *MigrateConfig) Changed() map[string][]int64 {
	out := map[string][]int64{}
	for r, m := range c.Mapping() {
		for old, nw := range m {
			if old != nw {
				out[r] = append(out[r], old)
			}
		}
		slices.Sort(out[r])
	}
	return out
}

func sameSet(a, b []int64) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(slices.Compact(x), slices.Compact(y))
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

package fate

import (
	"fmt"
	"math"
	"strconv"

	"github.com/planrun/planrun/fate/pyjson"
)

// decodeRoles reads a {role: [ids]} object, reporting each id that is not
// a JSON integer at its path.
func decodeRoles(v *jsonValue, path string, add func(path, msg string)) map[string][]int64 {
	if v == nil {
		return nil
	}
	if v.kind != jsonObject {
		add(path, "want an object of role lists, got "+v.describe())
		return nil
	}
	out := map[string][]int64{}
	for i, r := range v.keys {
		list := v.vals[i]
		p := path + "." + r
		if list.kind != jsonArray {
			add(p, msgRoleStructure+" (want a list of party ids, got "+list.describe()+")")
			continue
		}
		ids := []int64{}
		for j, x := range list.vals {
			n, ok := x.asInt()
			if !ok {
				add(fmt.Sprintf("%s[%d]", p, j), msgNotInteger+", got "+x.describe())
				continue
			}
			if n < 0 {
				add(fmt.Sprintf("%s[%d]", p, j), fmt.Sprintf("party id %d: want 0 or more", n))
				continue
			}
			ids = append(ids, n)
		}
		out[r] = ids
	}
	return out
}

func decodeParty(v *jsonValue, path string, add func(path, msg string)) Party {
	if v.kind != jsonObject {
		add(path, "want an object {role, party_id}, got "+v.describe())
		return Party{}
	}
	var p Party
	p.Role = decodeString(v.get("role"), path+".role", add)
	if v.get("role") == nil {
		add(path+".role", "is required")
	}
	if id := v.get("party_id"); id == nil {
		add(path+".party_id", "is required")
	} else if n, ok := id.asInt(); !ok {
		add(path+".party_id", msgNotInteger+", got "+id.describe())
	} else if n < 0 {
		add(path+".party_id", fmt.Sprintf("party id %d: want 0 or more", n))
	} else {
		p.PartyID = n
	}
	return p
}

func decodeString(v *jsonValue, path string, add func(path, msg string)) string {
	if v == nil {
		return ""
	}
	if v.kind != jsonString {
		add(path, "want a string, got "+v.describe())
		return ""
	}
	return v.text
}

// toGo converts a JSON value to plain Go values (json.Unmarshal's shapes,
// numbers as float64 or int64 when integral).
func toGo(v *jsonValue) any {
	switch v.kind {
	case jsonBool:
		return v.b
	case jsonNumber:
		if n, ok := v.asInt(); ok {
			return n
		}
		f, _ := strconv.ParseFloat(v.text, 64)
		return f
	case jsonString:
		return v.text
	case jsonArray:
		out := make([]any, len(v.vals))
		for i, x := range v.vals {
			out[i] = toGo(x)
		}
		return out
	case jsonObject:
		out := make(map[string]any, len(v.keys))
		for i, k := range v.keys {
			out[k] = toGo(v.vals[i])
		}
		return out
	}
	return nil
}

// fromGo converts plain Go values to a JSON value (map keys sorted).
func fromGo(x any) *jsonValue {
	switch x := x.(type) {
	case nil:
		return &jsonValue{kind: jsonNull}
	case bool:
		return jsonBoolean(x)
	case int:
		return jsonInt(int64(x))
	case int64:
		return jsonInt(x)
	case float64:
		// encoding/json gives every number as float64: write integral
		// values as integers, as they were most likely written.
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return jsonInt(int64(x))
		}
		return &jsonValue{kind: jsonNumber, text: pyjson.Float(x, 64)}
	case string:
		return jsonStr(x)
	case []any:
		a := jsonArr()
		for _, e := range x {
			a.vals = append(a.vals, fromGo(e))
		}
		return a
	case map[string]any:
		o := jsonObj()
		for _, k := range sortedKeys(x) {
			o.set(k, fromGo(x[k]))
		}
		return o
	}
	return jsonStr(fmt.Sprint(x))
}

// rolesJSON writes roles in the order of the matching object in the
// document read (tmpl), or sorted by role when there is none.
func rolesJSON(roles map[string][]int64, tmpl *jsonValue) *jsonValue {
	o := jsonObj()
	if tmpl != nil && tmpl.kind == jsonObject {
		for _, k := range tmpl.keys {
			if ids, ok := roles[k]; ok {
				o.set(k, idsJSON(ids))
			}
		}
	}
	for _, k := range sortedKeys(roles) {
		if o.get(k) == nil {
			o.set(k, idsJSON(roles[k]))
		}
	}
	return o
}

func idsJSON(ids []int64) *jsonValue {
	a := jsonArr()
	for _, id := range ids {
		a.vals = append(a.vals, jsonInt(id))
	}
	return a
}

// partyJSON writes {role, party_id}, keeping any other keys and the order
// of the matching object in the document read.
func partyJSON(p Party, tmpl *jsonValue) *jsonValue {
	o := jsonObj()
	if tmpl != nil && tmpl.kind == jsonObject {
		o = tmpl.clone()
	}
	o.set("role", jsonStr(p.Role))
	o.set("party_id", jsonInt(p.PartyID))
	return o
}

// document returns the config as a JSON document: the one read, with the
// known fields set from the struct in place.
func (c *MigrateConfig) document() *jsonValue {
	doc := jsonObj()
	if c.raw != nil {
		doc = c.raw.clone()
	}
	if c.JobParameters != nil || doc.get("job_parameters") == nil {
		doc.set("job_parameters", mergeGo(doc.get("job_parameters"), c.JobParameters))
	}
	doc.set("role", rolesJSON(c.Role, doc.get("role")))
	doc.set("execute_party", rolesJSON(c.ExecuteParty, doc.get("execute_party")))
	doc.set("migrate_initiator", partyJSON(c.MigrateInitiator, doc.get("migrate_initiator")))
	doc.set("migrate_role", rolesJSON(c.MigrateRole, doc.get("migrate_role")))
	doc.set("model_id", jsonStr(c.ModelID))
	doc.set("model_version", jsonStr(c.ModelVersion))
	if c.UnifyModelVersion != "" || doc.get("unify_model_version") != nil {
		doc.set("unify_model_version", jsonStr(c.UnifyModelVersion))
	}
	return doc
}

// mergeGo builds an object from m, keeping the key order of tmpl.
func mergeGo(tmpl *jsonValue, m map[string]any) *jsonValue {
	o := jsonObj()
	if tmpl != nil && tmpl.kind == jsonObject {
		for i, k := range tmpl.keys {
			if x, ok := m[k]; ok {
				if equalGo(toGo(tmpl.vals[i]), x) {
					o.set(k, tmpl.vals[i].clone())
				} else {
					o.set(k, fromGo(x))
				}
			}
		}
	}
	for _, k := range sortedKeys(m) {
		if o.get(k) == nil {
			o.set(k, fromGo(m[k]))
		}
	}
	return o
}

func equalGo(a, b any) bool {
	return string(fromGo(a).pyDumps()) == string(fromGo(b).pyDumps())
}

// MarshalJSON writes the config as Python's json.dumps would, keeping the
// order and unknown fields of the document it was parsed from.
func (c *MigrateConfig) MarshalJSON() ([]byte, error) { return c.document().pyDumps(), nil }

// UnmarshalJSON parses and validates the config (see ParseMigrateConfig).
func (c *MigrateConfig) UnmarshalJSON(data []byte) error {
	parsed, err := ParseMigrateConfig(data, "")
	if err != nil {
		return err
	}
	*c = *parsed
	return nil
}

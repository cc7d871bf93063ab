package fate

// ImportConfig is FATE's import_model.json: {role, party_id, model_id,
// model_version, file, force_update}.
type ImportConfig struct {
	Role         string `json:"role"`
	PartyID      int64  `json:"party_id"`
	ModelID      string `json:"model_id"`
	ModelVersion string `json:"model_version"`
	File         string `json:"file"`
	ForceUpdate  bool   `json:"force_update"`
}

// importRequired lists the keys FATE 1.9+'s import requires, in its order.
var importRequired = []string{"model_id", "model_version", "role", "party_id"}

// ParseImportConfig parses and validates import_model.json; file names it
// in errors. A *ConfigError lists every problem found.
func ParseImportConfig(data []byte, file string) (*ImportConfig, error) {
	doc, probs, err := parseConfigDoc(data, file, importRequired)
	if err != nil {
		return nil, err
	}
	add := func(path, msg string) { probs = append(probs, Problem{path, msg}) }
	c := &ImportConfig{}
	c.Role = decodeString(doc.get("role"), "role", add)
	c.ModelID = decodeString(doc.get("model_id"), "model_id", add)
	c.ModelVersion = decodeString(doc.get("model_version"), "model_version", add)
	c.File = decodeString(doc.get("file"), "file", add)
	if v := doc.get("party_id"); v != nil {
		if n, ok := v.asInt(); ok {
			c.PartyID = n
		} else {
			add("party_id", msgNotInteger+", got "+v.describe())
		}
	}
	if v := doc.get("force_update"); v != nil {
		switch n, isInt := v.asInt(); {
		case v.kind == jsonBool:
			c.ForceUpdate = v.b
		case isInt && (n == 0 || n == 1):
			c.ForceUpdate = n == 1
		default:
			add("force_update", "want true, false, 0 or 1, got "+v.describe())
		}
	}
	for _, f := range []struct{ path, val string }{{"role", c.Role}, {"model_id", c.ModelID}, {"model_version", c.ModelVersion}} {
		if doc.get(f.path) != nil && doc.get(f.path).kind == jsonString && f.val == "" {
			add(f.path, "must not be empty")
		}
	}
	if len(probs) > 0 {
		return nil, &ConfigError{File: file, Problems: probs}
	}
	return c, nil
}

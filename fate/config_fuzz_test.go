package fate

import (
	"strings"
	"testing"
)

// FuzzParseMigrateConfig: any migrate_model.json is parsed without a
// panic, to a config or an error naming the file; a config that parses
// and validates gives a mapping from every old party id it changes.
func FuzzParseMigrateConfig(f *testing.F) {
	f.Add([]byte(sampleMigrate))
	f.Add([]byte(`{"role": {"guest": [1], "host": [2, 3]}, "migrate_role": {"guest": [4], "host": [5, 6]}, "execute_party": {"guest": [1]},
 "migrate_initiator": {"role": "guest", "party_id": 4}, "model_id": "x", "model_version": "1", "unify_model_version": "2"}`))
	f.Add([]byte(`{"role": {"guest": ["9999"]}, "migrate_role": {"guest": [9999.0]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseMigrateConfig(data, "migrate_model.json")
		if err != nil {
			if !strings.Contains(err.Error(), "migrate_model.json") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		if c.Validate() != nil {
			return
		}
		m := c.Mapping()
		for role, ids := range c.Changed() {
			for _, id := range ids {
				if _, ok := m[role][id]; !ok {
					t.Fatalf("%s %d is changed, but the mapping has no new id for it", role, id)
				}
			}
		}
	})
}

// FuzzParseImportConfig: any import config is parsed without a panic, to
// a config or an error naming the file.
func FuzzParseImportConfig(f *testing.F) {
	f.Add([]byte(`{"role": "guest", "party_id": 99, "model_id": "m", "model_version": "1", "file": "/x.zip", "force_update": false}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := ParseImportConfig(data, "import_model.json"); err != nil && !strings.Contains(err.Error(), "import_model.json") {
			t.Fatalf("error %q does not name the file", err)
		}
	})
}

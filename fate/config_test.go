package fate

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const exampleMigrate = `{"job_parameters": {"federated_mode": "SINGLE"},
 "role": {"guest": [9999], "arbiter": [10000], "host": [10000]},
 "execute_party": {"guest": [9999], "arbiter": [10000], "host": [10000]},
 "migrate_initiator": {"role": "guest", "party_id": 99},
 "migrate_role": {"guest": [99], "arbiter": [100], "host": [100]},
 "model_id": "arbiter-10000#guest-9999#host-10000#model", "model_version": "202110221748487862160",
 "unify_model_version": "v2", "comment": "kept"}`

func TestParseMigrateConfig(t *testing.T) {
	c, err := ParseMigrateConfig([]byte(exampleMigrate), "migrate_model.json")
	if err != nil {
		t.Fatal(err)
	}
	want := &MigrateConfig{
		JobParameters:     map[string]any{"federated_mode": "SINGLE"},
		Role:              map[string][]int64{"guest": {9999}, "arbiter": {10000}, "host": {10000}},
		ExecuteParty:      map[string][]int64{"guest": {9999}, "arbiter": {10000}, "host": {10000}},
		MigrateInitiator:  Party{"guest", 99},
		MigrateRole:       map[string][]int64{"guest": {99}, "arbiter": {100}, "host": {100}},
		ModelID:           "arbiter-10000#guest-9999#host-10000#model",
		ModelVersion:      "202110221748487862160",
		UnifyModelVersion: "v2",
	}
	if diff := cmp.Diff(want, c, cmp.AllowUnexported(MigrateConfig{}), cmp.FilterPath(func(p cmp.Path) bool {
		return p.Last().String() == ".raw"
	}, cmp.Ignore())); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
	// Re-emitted: same order, unknown fields kept, Python formatting.
	got, _ := c.MarshalJSON()
	wantJSON := `{"job_parameters": {"federated_mode": "SINGLE"}, "role": {"guest": [9999], "arbiter": [10000], "host": [10000]}, ` +
		`"execute_party": {"guest": [9999], "arbiter": [10000], "host": [10000]}, "migrate_initiator": {"role": "guest", "party_id": 99}, ` +
		`"migrate_role": {"guest": [99], "arbiter": [100], "host": [100]}, "model_id": "arbiter-10000#guest-9999#host-10000#model", ` +
		`"model_version": "202110221748487862160", "unify_model_version": "v2", "comment": "kept"}`
	if string(got) != wantJSON {
		t.Errorf("MarshalJSON:\n got %s\nwant %s", got, wantJSON)
	}
	if diff := cmp.Diff(map[string][]int64{"guest": {9999}, "arbiter": {10000}, "host": {10000}}, c.Changed()); diff != "" {
		t.Errorf("Changed (-want +got):\n%s", diff)
	}
}

func TestNewPartyID(t *testing.T) {
	c := &MigrateConfig{Role: map[string][]int64{"guest": {9999}, "host": {10000, 10001, 10000}},
		MigrateRole: map[string][]int64{"guest": {99}, "host": {100, 101, 102}}}
	cases := map[string]struct {
		role   string
		old    int64
		want   int64
		wantOK bool
	}{
		"by position":            {"guest", 9999, 99, true},
		"second position":        {"host", 10001, 101, true},
		"repeated: last wins":    {"host", 10000, 102, true},
		"not an old id":          {"host", 100, 0, false},
		"role not in the config": {"arbiter", 10000, 0, false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, ok := c.NewPartyID(tc.role, tc.old)
			if got != tc.want || ok != tc.wantOK {
				t.Errorf("NewPartyID(%s, %d) = %d, %v; want %d, %v", tc.role, tc.old, got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

func TestParseMigrateConfigErrors(t *testing.T) {
	tests := map[string]struct {
		in   string
		want []Problem
	}{
		"not JSON": {`{"role":`, []Problem{{"", "parse JSON: 1:9: unexpected end of document"}}},
		"required missing": {`{"role": {"guest": [1], "host": [2]}, "model_id": "m", "model_version": "v"}`, []Problem{
			{"", "required argument are missing: migrate_initiator,migrate_role,execute_party,job_parameters; "},
		}},
		"typo of a required key": {`{"role": {"guest": [1], "host": [2]}, "model_id": "m", "model_version": "v",
			"migrate_roles": {"guest": [3], "host": [4]}, "execute_party": {"guest": [1]}, "job_parameters": {},
			"migrate_initator": {"role": "guest", "party_id": 3}, "extra": 1}`, []Problem{
			{"", "required argument are missing: migrate_initiator,migrate_role; "},
			{"migrate_roles", `not a key FATE reads: did you mean "migrate_role"?`},
			{"migrate_initator", `not a key FATE reads: did you mean "migrate_initiator"?`},
		}},
		"string ids and types": {`{"job_parameters": {}, "role": {"guest": ["9999"], "host": [10000]},
			"migrate_role": {"guest": [99], "host": [1.5]}, "execute_party": {"guest": [9999]},
			"migrate_initiator": {"role": "guest", "party_id": "99"}, "model_id": "m", "model_version": 5}`, []Problem{
			{"role.guest[0]", `party id must be an integer, got a string "9999"`},
			{"migrate_role.host[0]", "party id must be an integer, got a number"},
			{"migrate_initiator.party_id", `party id must be an integer, got a string "99"`},
			{"model_version", "want a string, got an integer"},
		}},
		"structure": {`{"job_parameters": {}, "role": {"guest": [1], "host": [2, 3]},
			"migrate_role": {"guest": [10], "host": [20], "arbiter": [5]}, "execute_party": {"guest": [1], "local": [4]},
			"migrate_initiator": {"role": "guest", "party_id": 11}, "model_id": "m", "model_version": "v"}`, []Problem{
			{"migrate_role.arbiter", msgRoleStructure + " (role arbiter is not in role)"},
			{"migrate_role.host", msgRoleStructure + " (2 ids in role.host, 1 here)"},
			{"execute_party.local", "role local is not in role"},
			{"migrate_initiator.party_id", "party id 11 is not in migrate_role.guest [10]"},
		}},
		"no need": {`{"job_parameters": {}, "role": {"guest": [1], "host": [2, 3]},
			"migrate_role": {"guest": [1], "host": [3, 2]}, "execute_party": {"guest": [1], "host": [9]},
			"migrate_initiator": {"role": "guest", "party_id": 1}, "model_id": "m", "model_version": "v"}`, []Problem{
			{"migrate_role", msgNoNeed},
			{"execute_party.host[0]", "party id 9 is not in role.host [2 3]"},
		}},
		"guest and host": {`{"job_parameters": {}, "role": {"guest": [1], "arbiter": [2]},
			"migrate_role": {"guest": [10], "arbiter": [20]}, "execute_party": {"guest": [1]},
			"migrate_initiator": {"role": "guest", "party_id": 10}, "model_id": "m", "model_version": ""}`, []Problem{
			{"model_version", "must not be empty"},
			{"role", "the host role is required"},
		}},
		"role not a list": {`{"job_parameters": {}, "role": {"guest": 1, "host": [2]},
			"migrate_role": [], "execute_party": {}, "migrate_initiator": "guest", "model_id": "m", "model_version": "v"}`, []Problem{
			{"role.guest", msgRoleStructure + " (want a list of party ids, got an integer)"},
			{"migrate_role", "want an object of role lists, got a list"},
			{"migrate_initiator", "want an object {role, party_id}, got a string \"guest\""},
		}},
		"one old id, two new ids": {`{"job_parameters": {}, "role": {"guest": [1], "host": [2, 2]},
			"migrate_role": {"guest": [10], "host": [20, 21]}, "execute_party": {"guest": [1]},
			"migrate_initiator": {"role": "guest", "party_id": 10}, "model_id": "m", "model_version": "v"}`, []Problem{
			{"migrate_role.host[1]", "old party id 2 of role host is mapped to both 20 and 21"},
		}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := ParseMigrateConfig([]byte(tc.in), "m.json")
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error = %v, want a *ConfigError", err)
			}
			if ce.File != "m.json" {
				t.Errorf("File = %q", ce.File)
			}
			if diff := cmp.Diff(tc.want, ce.Problems); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidateBuiltConfig(t *testing.T) {
	c := &MigrateConfig{Role: map[string][]int64{"guest": {1}, "host": {2}}}
	err := c.Validate()
	want := "required argument are missing: migrate_initiator,migrate_role,model_id,model_version,execute_party,job_parameters; "
	if err == nil || err.Error() != want {
		t.Fatalf("Validate = %v, want %q", err, want)
	}
}

// TestNegativePartyIDs: a negative party id (-1 means "no party" in
// SecureBoost's tree plan) is refused in a migrate config and in --party.
func TestNegativePartyIDs(t *testing.T) {
	_, err := ParseMigrateConfig([]byte(`{"job_parameters": {}, "role": {"guest": [-1], "host": [10000]},
 "execute_party": {"guest": [-1], "host": [10000]}, "migrate_initiator": {"role": "guest", "party_id": -5},
 "migrate_role": {"guest": [99], "host": [100]}, "model_id": "m", "model_version": "1"}`), "m.json")
	if err == nil || !strings.Contains(err.Error(), "party id -1: want 0 or more") || !strings.Contains(err.Error(), "party id -5: want 0 or more") {
		t.Errorf("config with negative ids: %v", err)
	}
	if _, err := ParseParty("guest:-1"); err == nil || !strings.Contains(err.Error(), "must be 0 or more") {
		t.Errorf("ParseParty(guest:-1): %v", err)
	}
}

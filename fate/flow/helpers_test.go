package flow_test

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/planrun/planrun/fate"
	"github.com/planrun/planrun/fate/flow"
	"github.com/planrun/planrun/fate/flow/flowtest"
)

const (
	oldModelID = "arbiter-10000#guest-9999#host-10000#model"
	newModelID = "arbiter-100#guest-99#host-100#model"
	version    = "202110221748487862160"
)

var oldRoles = map[string][]int64{"guest": {9999}, "host": {10000}, "arbiter": {10000}}
var newRoles = map[string][]int64{"guest": {99}, "host": {100}, "arbiter": {100}}

// migrateConf is FATE's example migrate_model.json (FATE.md §1).
func migrateConf(mode string) map[string]any {
	return map[string]any{
		"job_parameters":      map[string]any{"federated_mode": mode},
		"role":                oldRoles,
		"execute_party":       oldRoles,
		"migrate_initiator":   map[string]any{"role": "guest", "party_id": 99},
		"migrate_role":        newRoles,
		"model_id":            oldModelID,
		"model_version":       version,
		"unify_model_version": "20220101000000000000",
	}
}

// putOldModels stores the three old parties' models on srv.
func putOldModels(srv *flowtest.Server) {
	for role, ids := range oldRoles {
		srv.PutModel(flowtest.Model{Role: role, PartyID: ids[0], ModelID: oldModelID, ModelVersion: version,
			Roles: oldRoles, Initiator: fate.Party{Role: "guest", PartyID: 9999}})
	}
}

// newZip is a migrated guest model archive for party 99.
func newZip(role string, id int64) []byte {
	return flowtest.ZipFiles(flowtest.ModelFiles(flowtest.Model{Role: role, PartyID: id, ModelID: newModelID,
		ModelVersion: version, Roles: newRoles, Initiator: fate.Party{Role: "guest", PartyID: 99}}))
}

func client(t *testing.T, srv *flowtest.Server, opts flow.Options) *flow.Client {
	t.Helper()
	if opts.HTTPClient == nil {
		opts.HTTPClient = srv.Client()
	}
	if opts.Host == "" {
		opts.Host = "new-guest"
	}
	c, err := flow.New(srv.URL, opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

var gens = map[string]flowtest.Generation{"1.9+": flowtest.Gen19, "1.7-1.8": flowtest.Gen17, "1.5-1.6": flowtest.Gen15}

func writeFile(p string, b []byte) error { return os.WriteFile(p, b, 0o644) }

package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/planrun/planrun/fate"
	"github.com/planrun/planrun/fate/flow/flowtest"
)

// TestFlowMultipleStory: federated_mode MULTIPLE. The initiator's FATE
// Flow (new-guest) submits each party's migration; the fake stands for
// the whole federation (its /migrate/do runs where FATE's proxy would send
// it), so the old parties' models and the zips live on its disk, which the
// old hosts share here. Both new models end up imported.
func TestFlowMultipleStory(t *testing.T) {
	const (
		modelID = "guest-9999#host-10000#model"
		version = "202110221748487862160"
		unify   = "20220202000000000000"
	)
	oldRoles := map[string][]int64{"guest": {9999}, "host": {10000}}
	fed := t.TempDir()
	initiator := flowtest.New(t, flowtest.Options{Dir: fed})
	for role, ids := range oldRoles {
		initiator.PutModel(flowtest.Model{Role: role, PartyID: ids[0], ModelID: modelID, ModelVersion: version,
			Roles: oldRoles, Initiator: fate.Party{Role: "guest", PartyID: 9999}})
	}
	newHost := flowtest.New(t, flowtest.Options{Generation: flowtest.Gen15})
	work := t.TempDir()
	os.WriteFile(filepath.Join(work, "hosts.yaml"), []byte(fmt.Sprintf(`hosts:
  old-guest: {fate_base: %q}
  old-host: {fate_base: %q}
  new-guest: {flow: %q, fate_base: %q}
  new-host: {flow: %q, fate_base: %q}
parties:
  "guest:9999": old-guest
  "host:10000": old-host
  "guest:99": new-guest
  "host:100": new-host
`, fed, fed, initiator.URL, fed, newHost.URL, t.TempDir())), 0o644)
	os.WriteFile(filepath.Join(work, "migrate.json"), []byte(`{"job_parameters":{"federated_mode":"MULTIPLE"},
 "role":{"guest":[9999],"host":[10000]}, "execute_party":{"guest":[9999],"host":[10000]},
 "migrate_initiator":{"role":"guest","party_id":99}, "migrate_role":{"guest":[99],"host":[100]},
 "model_id":"`+modelID+`","model_version":"`+version+`","unify_model_version":"`+unify+`"}`), 0o644)
	planFile := filepath.Join(work, "plan.yaml")
	cli := func(args ...string) (int, string) {
		var out, errb bytes.Buffer
		code := run(args, strings.NewReader(""), &out, &errb)
		return code, out.String() + errb.String()
	}
	if code, out := cli("init", "--engine", "flow", "--migrate", filepath.Join(work, "migrate.json"),
		"--hosts", filepath.Join(work, "hosts.yaml"), "-o", planFile); code != 0 {
		t.Fatalf("init: exit %d\n%s", code, out)
	}
	if code, out := cli("apply", planFile, "--state", filepath.Join(work, ".planrun")); code != 0 {
		t.Fatalf("apply: exit %d\n%s", code, out)
	}
	if n := initiator.Count("migrate"); n != 2 {
		t.Errorf("initiator got %d migrate submissions, want one per party (2)", n)
	}
	newModel := "guest-99#host-100#model"
	if !initiator.HasModel("guest", 99, newModel, unify) || newHost.Imported() != 1 || !newHost.HasModel("host", 100, newModel, unify) {
		t.Errorf("not imported: guest %v, host %d", initiator.HasModel("guest", 99, newModel, unify), newHost.Imported())
	}
}

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

// TestFlowStoryPartyFailureThenResume is the issue 4 story, end to end
// through the CLI: `planrun init --engine flow` (SINGLE: each old cluster's
// FATE Flow migrates its own party) for two target clusters, one FATE
// 1.9+ and one older (1.5–1.6 both ways round, and 1.7–1.8), then apply. The host party's
// migration fails on its server (FATE answers retcode 0 with the failure
// only in data.detail): the run fails at that step, the guest chain
// completes. After the server is fixed, resume finishes without importing
// the guest model again.
func TestFlowStoryPartyFailureThenResume(t *testing.T) {
	for name, gens := range map[string][2]flowtest.Generation{
		"guest 1.9+, host 1.5-1.6": {flowtest.Gen19, flowtest.Gen15},
		"guest 1.5-1.6, host 1.9+": {flowtest.Gen15, flowtest.Gen19},
		"guest 1.7-1.8, host 1.9+": {flowtest.Gen17, flowtest.Gen19},
	} {
		t.Run(name, func(t *testing.T) { flowStory(t, gens[0], gens[1]) })
	}
}

func flowStory(t *testing.T, genA, genB flowtest.Generation) {
	const (
		modelID = "arbiter-10000#guest-9999#host-10000#model"
		version = "202110221748487862160"
	)
	oldRoles := map[string][]int64{"guest": {9999}, "host": {10000}, "arbiter": {10000}}
	// The old clusters run FATE Flow and know their models (trained or
	// imported there); the new clusters receive the imports.
	oldA := flowtest.New(t, flowtest.Options{Generation: genA})
	oldB := flowtest.New(t, flowtest.Options{Generation: genB})
	oldA.PutModel(flowtest.Model{Role: "guest", PartyID: 9999, ModelID: modelID, ModelVersion: version,
		Roles: oldRoles, Initiator: fate.Party{Role: "guest", PartyID: 9999}})
	oldB.PutModel(flowtest.Model{Role: "host", PartyID: 10000, ModelID: modelID, ModelVersion: version,
		Roles: oldRoles, Initiator: fate.Party{Role: "guest", PartyID: 9999}})
	oldB.FailParty("host", 10000, "Can not found host model local cache")
	dirA, dirB := t.TempDir(), t.TempDir()
	srvA := flowtest.New(t, flowtest.Options{Generation: genA, Dir: dirA})
	srvB := flowtest.New(t, flowtest.Options{Generation: genB, Dir: dirB})

	work := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(work, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("hosts.yaml", fmt.Sprintf(`hosts:
  old-guest: {flow: %q, fate_base: %q}
  old-host: {flow: %q, fate_base: %q}
  new-guest: {flow: %q, fate_base: %q}
  new-host: {flow: %q, fate_base: %q}
parties:
  "guest:9999": old-guest
  "host:10000": old-host
  "guest:99": new-guest
  "host:100": new-host
`, oldA.URL, filepath.Dir(oldA.CacheDir()), oldB.URL, filepath.Dir(oldB.CacheDir()), srvA.URL, dirA, srvB.URL, dirB))
	write("migrate.json", `{"job_parameters":{"federated_mode":"SINGLE"},
 "role":{"guest":[9999],"arbiter":[10000],"host":[10000]},
 "execute_party":{"guest":[9999],"host":[10000]},
 "migrate_initiator":{"role":"guest","party_id":99},
 "migrate_role":{"guest":[99],"arbiter":[100],"host":[100]},
 "model_id":"`+modelID+`","model_version":"`+version+`","unify_model_version":"20220101000000000000"}`)
	planFile := filepath.Join(work, "plan.yaml")
	state := filepath.Join(work, ".planrun")
	cli := func(args ...string) (int, string) {
		var out, errb bytes.Buffer
		code := run(args, strings.NewReader(""), &out, &errb)
		return code, out.String() + errb.String()
	}
	if code, out := cli("init", "--engine", "flow", "--migrate", filepath.Join(work, "migrate.json"),
		"--hosts", filepath.Join(work, "hosts.yaml"), "-o", planFile); code != 0 {
		t.Fatalf("init: exit %d\n%s", code, out)
	}

	code, out := cli("apply", planFile, "--state", state, "--keep-going")
	if code != exitStepFailed {
		t.Fatalf("apply: exit %d, want %d\n%s", code, exitStepFailed, out)
	}
	for _, want := range []string{"migrate-host-10000", "host:10000: retcode 100: Can not found host model local cache"} {
		if !strings.Contains(out, want) {
			t.Errorf("apply output lacks %q:\n%s", want, out)
		}
	}
	if srvA.Imported() != 1 || srvA.Count("import") != 1 || !srvA.HasModel("guest", 99, "arbiter-100#guest-99#host-100#model", "20220101000000000000") {
		t.Errorf("guest chain did not complete: %d import requests on new-guest\n%s", srvA.Count("import"), out)
	}
	if srvB.Count("import") != 0 {
		t.Errorf("new-host got an import although its migration failed")
	}

	oldB.FailParty("host", 10000, "") // the operator fixes the server
	code, out = cli("resume", "--state", state)
	if code != 0 {
		t.Fatalf("resume: exit %d\n%s", code, out)
	}
	if srvB.Imported() != 1 || !srvB.HasModel("host", 100, "arbiter-100#guest-99#host-100#model", "20220101000000000000") {
		t.Errorf("host chain did not finish on resume\n%s", out)
	}
	if n := srvA.Count("import"); n != 1 {
		t.Errorf("new-guest received %d imports, want 1 (resume must not import again)", n)
	}
	if n := oldA.Count("migrate"); n != 1 {
		t.Errorf("old-guest received %d migrations, want 1", n)
	}
}

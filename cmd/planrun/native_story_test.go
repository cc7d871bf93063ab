package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/planrun/planrun/fate"
	"github.com/planrun/planrun/fate/flow/flowtest"
)

// TestNativeBatchStory: `planrun init` (engine native) for two models in a
// batch, applied end to end: planrun copies each party's model here,
// migrates it in Go, collects and ships the zip, and imports it with the
// new clusters' FATE Flow. A second apply of the same plan does nothing.
func TestNativeBatchStory(t *testing.T) {
	const modelID = "guest-9999#host-10000#model"
	versions := []string{"202110221748487862160", "202110231000000000000"}
	oldRoles := map[string][]int64{"guest": {9999}, "host": {10000}}
	oldHosts := map[string]string{"guest": t.TempDir(), "host": t.TempDir()}
	for role, dir := range oldHosts {
		for _, v := range versions {
			files := flowtest.ModelFiles(flowtest.Model{Role: role, PartyID: oldRoles[role][0], ModelID: modelID,
				ModelVersion: v, Roles: oldRoles, Initiator: fate.Party{Role: "guest", PartyID: 9999}})
			base := filepath.Join(dir, "model_local_cache", fate.PartyModelID(role, oldRoles[role][0], modelID), v)
			for name, b := range files {
				p := filepath.Join(base, filepath.FromSlash(name))
				os.MkdirAll(filepath.Dir(p), 0o755)
				if err := os.WriteFile(p, b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	dirA, dirB := t.TempDir(), t.TempDir()
	srvA := flowtest.New(t, flowtest.Options{Generation: flowtest.Gen19, Dir: dirA})
	srvB := flowtest.New(t, flowtest.Options{Generation: flowtest.Gen15, Dir: dirB})
	work := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(work, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("hosts.yaml", fmt.Sprintf(`hosts:
  old-guest: {fate_base: %q}
  old-host: {fate_base: %q}
  new-guest: {flow: %q, fate_base: %q}
  new-host: {flow: %q, fate_base: %q}
parties:
  "guest:9999": old-guest
  "host:10000": old-host
  "guest:99": new-guest
  "host:100": new-host
`, oldHosts["guest"], oldHosts["host"], srvA.URL, dirA, srvB.URL, dirB))
	write("migrate.json", `{"job_parameters":{"federated_mode":"SINGLE"},
 "role":{"guest":[9999],"host":[10000]}, "execute_party":{"guest":[9999],"host":[10000]},
 "migrate_initiator":{"role":"guest","party_id":99}, "migrate_role":{"guest":[99],"host":[100]},
 "model_id":"`+modelID+`","model_version":"`+versions[0]+`"}`)
	write("models.csv", "model_id,model_version,unify_model_version\n"+
		modelID+","+versions[0]+",30000000000000000001\n"+modelID+","+versions[1]+",30000000000000000002\n")
	planFile := filepath.Join(work, "plan.yaml")
	state := filepath.Join(work, ".planrun")
	cli := func(args ...string) (int, string) {
		var out, errb bytes.Buffer
		code := run(args, strings.NewReader(""), &out, &errb)
		return code, out.String() + errb.String()
	}
	if code, out := cli("init", "--migrate", filepath.Join(work, "migrate.json"), "--hosts", filepath.Join(work, "hosts.yaml"),
		"--models", filepath.Join(work, "models.csv"), "-o", planFile); code != 0 {
		t.Fatalf("init: exit %d\n%s", code, out)
	}
	if code, out := cli("apply", planFile, "--state", state); code != 0 {
		t.Fatalf("apply: exit %d\n%s", code, out)
	}
	newModel := "guest-99#host-100#model"
	for _, v := range []string{"30000000000000000001", "30000000000000000002"} {
		if !srvA.HasModel("guest", 99, newModel, v) || !srvB.HasModel("host", 100, newModel, v) {
			t.Errorf("model version %s not imported on both clusters", v)
		}
	}
	if srvA.Imported() != 2 || srvB.Imported() != 2 {
		t.Errorf("imports: new-guest %d, new-host %d, want 2 each", srvA.Imported(), srvB.Imported())
	}
	if code, out := cli("apply", planFile, "--state", state); code != 0 || srvA.Count("import")+srvB.Count("import") != 4 {
		t.Errorf("second apply: exit %d, %d import requests in all (want still 4)\n%s", code, srvA.Count("import")+srvB.Count("import"), out)
	}
	// A shipped archive is deleted on the new guest cluster, behind
	// planrun's back: apply keeps its ship step as done; apply --refresh
	// finds it gone and ships it again (only it), and asks FATE Flow for
	// each imported model (an export) instead of importing again.
	shipped := filepath.Join(srvA.TempDir(), "planrun", fate.PartyModelID("guest", 99, newModel)+"_30000000000000000001.zip")
	if err := os.Remove(shipped); err != nil {
		t.Fatal(err)
	}
	if code, out := cli("apply", planFile, "--state", state); code != 0 || fileExists(shipped) {
		t.Errorf("apply after the deletion: exit %d, archive shipped again: %v\n%s", code, fileExists(shipped), out)
	}
	exports := srvA.Count("export") + srvB.Count("export")
	code, out := cli("apply", planFile, "--state", state, "--refresh")
	if code != 0 || !fileExists(shipped) || srvA.Count("import")+srvB.Count("import") != 4 || srvA.Count("export")+srvB.Count("export") != exports+4 {
		t.Errorf("apply --refresh: exit %d, archive shipped again: %v, imports %d (want still 4), exports %d (want %d)\n%s",
			code, fileExists(shipped), srvA.Count("import")+srvB.Count("import"), srvA.Count("export")+srvB.Count("export"), exports+4, out)
	}
	if !regexp.MustCompile(`step_started ship-guest-99\[0\] .*: refresh: its earlier success is no longer in place`).MatchString(out) ||
		strings.Count(out, "refresh: its earlier success is no longer in place") != 1 {
		t.Errorf("apply --refresh should run ship-guest-99[0] again, and only it:\n%s", out)
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

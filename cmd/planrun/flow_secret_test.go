package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/planrun/planrun/fate"
	"github.com/planrun/planrun/fate/flow/flowtest"
)

// TestSignedImportKeepsTheSecretOut: the new cluster's FATE Flow checks
// request signatures; the plan names the environment variable holding the
// secret. The import succeeds (every request verified by the server) and
// the secret appears nowhere in the plan, the state, the logs or the output.
func TestSignedImportKeepsTheSecretOut(t *testing.T) {
	const secret = "s3cr3t-flow-key-0042"
	const modelID, version = "guest-9999#host-10000#model", "202110221748487862160"
	t.Setenv("NEW_GUEST_FLOW_SECRET", secret)
	old := t.TempDir()
	files := flowtest.ModelFiles(flowtest.Model{Role: "guest", PartyID: 9999, ModelID: modelID, ModelVersion: version,
		Roles: map[string][]int64{"guest": {9999}, "host": {10000}}, Initiator: fate.Party{Role: "guest", PartyID: 9999}})
	for n, b := range files {
		p := filepath.Join(old, "model_local_cache", "guest#9999#"+modelID, version, filepath.FromSlash(n))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, b, 0o644)
	}
	newDir := t.TempDir()
	srv := flowtest.New(t, flowtest.Options{Dir: newDir, AppKey: "planrun", Secret: secret})
	work := t.TempDir()
	os.WriteFile(filepath.Join(work, "hosts.yaml"), []byte(fmt.Sprintf(`hosts:
  old-guest: {fate_base: %q}
  new-guest: {flow: %q, fate_base: %q, flow_app_key: planrun, flow_secret_env: NEW_GUEST_FLOW_SECRET}
parties: {"guest:9999": old-guest, "guest:99": new-guest}
`, old, srv.URL, newDir)), 0o644)
	os.WriteFile(filepath.Join(work, "migrate.json"), []byte(`{"job_parameters":{"federated_mode":"SINGLE"},
 "role":{"guest":[9999],"host":[10000]}, "execute_party":{"guest":[9999]},
 "migrate_initiator":{"role":"guest","party_id":99}, "migrate_role":{"guest":[99],"host":[100]},
 "model_id":"`+modelID+`","model_version":"`+version+`","unify_model_version":"20220404000000000000"}`), 0o644)
	planFile := filepath.Join(work, "plan.yaml")
	var out bytes.Buffer
	if code := run([]string{"init", "--migrate", filepath.Join(work, "migrate.json"), "--hosts", filepath.Join(work, "hosts.yaml"), "-o", planFile},
		strings.NewReader(""), &out, &out); code != 0 {
		t.Fatalf("init: %d\n%s", code, out.String())
	}
	if code := run([]string{"apply", planFile, "--state", filepath.Join(work, ".planrun")}, strings.NewReader(""), &out, &out); code != 0 {
		t.Fatalf("apply: %d\n%s", code, out.String())
	}
	if srv.Imported() != 1 || srv.Requests()[0].Header.Get("SIGNATURE") == "" {
		t.Fatalf("signed import did not go through: %d imported", srv.Imported())
	}
	if strings.Contains(out.String(), secret) {
		t.Errorf("the secret is in the output")
	}
	filepath.WalkDir(work, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if b, _ := os.ReadFile(p); bytes.Contains(b, []byte(secret)) {
			t.Errorf("the secret is in %s", p)
		}
		return nil
	})
}

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

// TestImportFaultsInAPlan: FATE Flow misbehaves during the import step of
// a plan (connection reset mid-upload, an HTML error page from a proxy, a
// non-JSON answer). Each attempt sends the upload once (the client never
// re-posts it); the run fails with an error naming the step, the host and
// what went wrong, summarised; no import is recorded as done; resume after
// the server recovers imports the model exactly once.
func TestImportFaultsInAPlan(t *testing.T) {
	cases := map[string]struct {
		fault flowtest.Fault
		msg   string
	}{
		"reset mid-upload": {flowtest.FaultReset, "flow import for guest:99 on new-guest: "},
		"HTML error page":  {flowtest.FaultHTML, "flow import for guest:99 on new-guest: HTTP 502, HTML page: 502 Bad Gateway"},
		"non-JSON answer":  {flowtest.FaultNonJSON, "flow import for guest:99 on new-guest: HTTP 200, answer is not JSON (text/plain): fate_flow is restarting, try later"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			const modelID, version = "guest-9999#host-10000#model", "202110221748487862160"
			roles := map[string][]int64{"guest": {9999}, "host": {10000}}
			old := t.TempDir()
			files := flowtest.ModelFiles(flowtest.Model{Role: "guest", PartyID: 9999, ModelID: modelID, ModelVersion: version,
				Roles: roles, Initiator: fate.Party{Role: "guest", PartyID: 9999}})
			for n, b := range files {
				p := filepath.Join(old, "model_local_cache", "guest#9999#"+modelID, version, filepath.FromSlash(n))
				os.MkdirAll(filepath.Dir(p), 0o755)
				os.WriteFile(p, b, 0o644)
			}
			newDir := t.TempDir()
			srv := flowtest.New(t, flowtest.Options{Dir: newDir})
			srv.SetFault("import", tc.fault)
			work := t.TempDir()
			os.WriteFile(filepath.Join(work, "hosts.yaml"), []byte(fmt.Sprintf(`hosts:
  old-guest: {fate_base: %q}
  new-guest: {flow: %q, fate_base: %q}
parties: {"guest:9999": old-guest, "guest:99": new-guest}
`, old, srv.URL, newDir)), 0o644)
			os.WriteFile(filepath.Join(work, "migrate.json"), []byte(`{"job_parameters":{"federated_mode":"SINGLE"},
 "role":{"guest":[9999],"host":[10000]}, "execute_party":{"guest":[9999]},
 "migrate_initiator":{"role":"guest","party_id":99}, "migrate_role":{"guest":[99],"host":[100]},
 "model_id":"`+modelID+`","model_version":"`+version+`","unify_model_version":"20220303000000000000"}`), 0o644)
			planFile, state := filepath.Join(work, "plan.yaml"), filepath.Join(work, ".planrun")
			cli := func(args ...string) (int, string) {
				var out, errb bytes.Buffer
				code := run(args, strings.NewReader(""), &out, &errb)
				return code, out.String() + errb.String()
			}
			if code, out := cli("init", "--migrate", filepath.Join(work, "migrate.json"), "--hosts", filepath.Join(work, "hosts.yaml"), "-o", planFile); code != 0 {
				t.Fatalf("init: %d\n%s", code, out)
			}
			// One attempt per step, so each request the server sees is one attempt.
			b, _ := os.ReadFile(planFile)
			os.WriteFile(planFile, bytes.Replace(b, []byte("retry: {attempts: 3, backoff: 5s}"), []byte("retry: {attempts: 2, backoff: 10ms}"), 1), 0o644)
			code, out := cli("apply", planFile, "--state", state)
			if code != exitStepFailed {
				t.Fatalf("apply: exit %d\n%s", code, out)
			}
			if !strings.Contains(out, "step import-guest-99 (host new-guest): "+tc.msg) {
				t.Errorf("apply output lacks the step, host and cause %q:\n%s", tc.msg, out)
			}
			if strings.Contains(out, "<html>") || strings.Contains(out, "<center>") {
				t.Errorf("the HTML page was dumped:\n%s", out)
			}
			if n := srv.Count("import"); n != 2 {
				t.Errorf("server saw %d uploads, want 2 (one per attempt)", n)
			}
			if _, st := cli("status", "--state", state); !strings.Contains(st, "import-guest-99") || !strings.Contains(st, "failed") {
				t.Errorf("status:\n%s", st)
			}
			srv.SetFault("import", flowtest.FaultNone)
			if code, out := cli("resume", "--state", state); code != 0 {
				t.Fatalf("resume: exit %d\n%s", code, out)
			}
			if srv.Imported() != 1 || srv.Count("import") != 3 {
				t.Errorf("after resume: %d imported, %d requests", srv.Imported(), srv.Count("import"))
			}
		})
	}
}

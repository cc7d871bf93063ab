package migrate_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/planrun/planrun/fate"
	"github.com/planrun/planrun/fate/flow/flowtest"
	"github.com/planrun/planrun/hosts"
	"github.com/planrun/planrun/steps"
	"github.com/planrun/planrun/steps/migrate"
)

const (
	oldModelID = "arbiter-10000#guest-9999#host-10000#model"
	newModelID = "arbiter-100#guest-99#host-100#model"
	version    = "202110221748487862160"
	unify      = "20220101000000000000"
)

var oldRoles = map[string][]int64{"guest": {9999}, "host": {10000}, "arbiter": {10000}}

func conf() map[string]any {
	return map[string]any{
		"job_parameters":      map[string]any{"federated_mode": "SINGLE"},
		"role":                map[string]any{"guest": []any{9999}, "arbiter": []any{10000}, "host": []any{10000}},
		"execute_party":       map[string]any{"guest": []any{9999}, "arbiter": []any{10000}, "host": []any{10000}},
		"migrate_initiator":   map[string]any{"role": "guest", "party_id": 99},
		"migrate_role":        map[string]any{"guest": []any{99}, "arbiter": []any{100}, "host": []any{100}},
		"model_id":            oldModelID,
		"model_version":       version,
		"unify_model_version": unify,
	}
}

func newEnv(t *testing.T, inv map[string]hosts.Spec) *steps.Env {
	dir := t.TempDir()
	pool := hosts.NewPool(inv, hosts.PoolOptions{BaseDir: dir})
	t.Cleanup(func() { pool.Close() })
	return &steps.Env{StepID: "migrate-guest", Attempt: 1, BaseDir: dir, WorkDir: filepath.Join(dir, "work"),
		Hosts: pool, Log: io.Discard, Progress: steps.NopProgress{}}
}

func putOld(srv *flowtest.Server) {
	for role, ids := range oldRoles {
		srv.PutModel(flowtest.Model{Role: role, PartyID: ids[0], ModelID: oldModelID, ModelVersion: version,
			Roles: oldRoles, Initiator: fate.Party{Role: "guest", PartyID: 9999}})
	}
}

func TestValidate(t *testing.T) {
	bad := conf()
	bad["migrate_role"] = map[string]any{"guest": []any{99}, "arbiter": []any{100}, "host": []any{"x"}}
	cases := map[string]struct {
		cfg  migrate.Config
		want []string
	}{
		"flow ok":        {migrate.Config{Engine: "flow", Host: "new-guest", Config: conf(), Party: "guest:9999"}, nil},
		"native ok":      {migrate.Config{Engine: "native", Model: "old-guest:/m", Config: conf(), Party: "host:10000"}, nil},
		"no engine":      {migrate.Config{Config: conf()}, []string{"engine: required: native or flow"}},
		"flow no host":   {migrate.Config{Engine: "flow", Config: conf(), Model: "x:/y"}, []string{"host: required with engine flow (the host whose FATE Flow runs the migration)", "model: only used with engine native (FATE Flow reads its own model_local_cache)"}},
		"native party":   {migrate.Config{Engine: "native", Model: "m", Config: conf()}, []string{"party: required with engine native (the old party to migrate, role:id)"}},
		"party not role": {migrate.Config{Engine: "flow", Host: "h", Config: conf(), Party: "guest:1"}, []string{"party: guest:1 is not in config.role"}},
		"both configs":   {migrate.Config{Engine: "flow", Host: "h", Config: conf(), ConfigFile: "m.json"}, []string{"set exactly one of config (inline migrate_model.json fields) and config_file"}},
		"bad id":         {migrate.Config{Engine: "flow", Host: "h", Config: bad}, []string{"config.migrate_role.host[0]"}},
		"expr skipped":   {migrate.Config{Engine: "flow", Host: "h", Config: map[string]any{"model_id": "${{ item.model_id }}"}}, nil},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var got []string
			for _, e := range migrate.New().Validate(&tc.cfg) {
				got = append(got, e.Error())
			}
			if name == "bad id" {
				if len(got) == 0 || !strings.HasPrefix(got[0], tc.want[0]) {
					t.Errorf("got %q", got)
				}
				return
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestFlowOnePartyPerStep(t *testing.T) {
	for _, gen := range []flowtest.Generation{flowtest.Gen19, flowtest.Gen17, flowtest.Gen15} {
		t.Run(gen.String(), func(t *testing.T) {
			srv := flowtest.New(t, flowtest.Options{Generation: gen})
			putOld(srv)
			env := newEnv(t, map[string]hosts.Spec{"new-guest": {Flow: srv.URL}})
			k := migrate.New()
			cfg := &migrate.Config{Engine: "flow", Host: "new-guest", Config: conf(), Party: "guest:9999"}
			out, err := k.Run(context.Background(), env, cfg)
			if err != nil {
				t.Fatal(err)
			}
			zip := filepath.Join(srv.TempDir(), "guest#99#"+newModelID+"_"+unify+".zip")
			if out["zip"] != zip || out["model_id"] != newModelID || out["party_model_id"] != "guest#99#"+newModelID || out["model_version"] != unify {
				t.Errorf("outputs = %v", out)
			}
			if gen == flowtest.Gen19 {
				b, _ := os.ReadFile(zip)
				if out["sha256"] != sha(b) {
					t.Errorf("sha256 = %v, want %s", out["sha256"], sha(b))
				}
			} else if out["sha256"] != "" {
				t.Errorf("1.5 sha256 = %v, want unknown", out["sha256"])
			}
			// Only the one party was submitted.
			ep := srv.Requests()[0].JSON["execute_party"]
			if diff := cmp.Diff(map[string]any{"guest": []any{jsonNum("9999")}}, ep); diff != "" {
				t.Errorf("execute_party sent (-want +got):\n%s", diff)
			}
			pr, err := k.Probe(context.Background(), env, cfg, out)
			if err != nil || !pr.Done || pr.Outputs["zip"] != zip {
				t.Errorf("probe after success = %+v, %v", pr, err)
			}
			// The migrated model and its zip deleted behind planrun's back.
			os.RemoveAll(filepath.Join(srv.CacheDir(), "guest#99#"+newModelID, unify))
			os.Remove(zip)
			why := "the FATE Flow of new-guest has no model guest#99#" + newModelID + " " + unify + ", and " + zip + " is gone"
			if pr, err := k.Probe(context.Background(), env, cfg, out); err != nil || pr.Done || pr.Why != why {
				t.Errorf("probe after the model went = %+v, %v; want why %q", pr, err, why)
			}
		})
	}
}

func TestFlowPartyFailureNamesEachParty(t *testing.T) {
	srv := flowtest.New(t, flowtest.Options{})
	putOld(srv)
	srv.FailParty("host", 10000, "Can not found host model local cache")
	srv.FailParty("arbiter", 10000, "disk full")
	env := newEnv(t, map[string]hosts.Spec{"new-guest": {Flow: srv.URL}})
	_, err := migrate.New().Run(context.Background(), env, &migrate.Config{Engine: "flow", Host: "new-guest", Config: conf()})
	want := "migrate on new-guest (job "
	if err == nil || !strings.Contains(err.Error(), want) ||
		!strings.Contains(err.Error(), "2 of 3 parties failed: arbiter:10000: retcode 100: disk full; host:10000: retcode 100: Can not found host model local cache") {
		t.Fatalf("err = %v", err)
	}
	if n := srv.Count("migrate"); n != 1 {
		t.Errorf("migrate submitted %d times", n)
	}
}

func TestFlowSecretFromEnvironment(t *testing.T) {
	srv := flowtest.New(t, flowtest.Options{AppKey: "planrun", Secret: "the-secret-1"})
	putOld(srv)
	env := newEnv(t, map[string]hosts.Spec{"new-guest": {Flow: srv.URL, FlowAppKey: "planrun", FlowSecretEnv: "FLOW_SECRET"}})
	k := migrate.New()
	cfg := &migrate.Config{Engine: "flow", Host: "new-guest", Config: conf(), Party: "host:10000"}
	k.LookupEnv = func(string) (string, bool) { return "", false }
	if _, err := k.Run(context.Background(), env, cfg); err == nil || !strings.Contains(err.Error(), "environment variable FLOW_SECRET (flow_secret_env) is not set") {
		t.Errorf("no secret: %v", err)
	}
	k.LookupEnv = func(n string) (string, bool) { return "the-secret-1", n == "FLOW_SECRET" }
	if _, err := k.Run(context.Background(), env, cfg); err != nil {
		t.Errorf("signed: %v", err)
	}
}

func TestNative(t *testing.T) {
	srv := flowtest.New(t, flowtest.Options{}) // only as a model factory
	dir := srv.PutModel(flowtest.Model{Role: "guest", PartyID: 9999, ModelID: oldModelID, ModelVersion: version,
		Roles: oldRoles, Initiator: fate.Party{Role: "guest", PartyID: 9999}})
	env := newEnv(t, map[string]hosts.Spec{"old-guest": {}})
	k := migrate.New()
	cfg := &migrate.Config{Engine: "native", Model: "old-guest:" + dir, Config: conf(), Party: "guest:9999"}
	if errs := k.Validate(cfg); len(errs) > 0 {
		t.Fatal(errs)
	}
	out, err := k.Run(context.Background(), env, cfg)
	if err != nil {
		t.Fatal(err)
	}
	// The zip is named relative to the plan's directory (the work
	// directory is inside it), as the plan's own relative paths are.
	rel, _ := out["zip"].(string)
	zip := filepath.Join(env.BaseDir, rel)
	if out["party_model_id"] != "guest#99#"+newModelID || filepath.IsAbs(rel) || !strings.HasPrefix(zip, env.WorkDir+string(filepath.Separator)) {
		t.Errorf("outputs = %v", out)
	}
	if _, err := os.Stat(zip); err != nil {
		t.Error(err)
	}
	pr, err := k.Probe(context.Background(), env, cfg, out)
	if err != nil || !pr.Done {
		t.Errorf("probe = %+v, %v", pr, err)
	}
	os.WriteFile(zip, []byte("tampered"), 0o644)
	if pr, _ := k.Probe(context.Background(), env, cfg, out); pr.Done || pr.Why != zip+" no longer has the sha256 it was made with" {
		t.Errorf("probe on a changed zip: %+v", pr)
	}
	os.Remove(zip)
	if pr, _ := k.Probe(context.Background(), env, cfg, out); pr.Done || pr.Why != zip+" is gone" {
		t.Errorf("probe on a removed zip: %+v", pr)
	}
}

// TestFlowPipelineOnlyPitfall: a 1.9+ FATE Flow migrates a model that was
// only copied into its model_local_cache (never imported) with the
// pipeline alone and still answers success; the step catches it. The
// comparison runs for the imported source too (the log says nothing was
// skipped), and on 1.5–1.8, which delete the migrated directory, the log
// says why there was nothing to compare.
func TestFlowPipelineOnlyPitfall(t *testing.T) {
	cases := map[string]struct {
		gen        flowtest.Generation
		registered bool
		wantErr    string
		wantLog    string
	}{
		"imported source": {flowtest.Gen19, true, "", ""},
		"copied source":   {flowtest.Gen19, false, "lacks the components dataio_0: FATE 1.9+ migrates only what its database lists", ""},
		"1.5-1.8":         {flowtest.Gen15, true, "", "guest:9999: components not compared: the migrated model is not in "},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			srv := flowtest.New(t, flowtest.Options{Dir: dir, Generation: tc.gen})
			srv.PutModel(flowtest.Model{Role: "guest", PartyID: 9999, ModelID: oldModelID, ModelVersion: version,
				Roles: oldRoles, Initiator: fate.Party{Role: "guest", PartyID: 9999}, Unregistered: !tc.registered})
			env := newEnv(t, map[string]hosts.Spec{"new-guest": {Flow: srv.URL, FateBase: dir}})
			var log strings.Builder
			env.Log = &log
			_, err := migrate.New().Run(context.Background(), env, &migrate.Config{Engine: "flow", Host: "new-guest", Config: conf(), Party: "guest:9999"})
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatal(err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("err = %v, want %q", err, tc.wantErr)
			}
			notCompared := strings.Contains(log.String(), "components not compared")
			if tc.wantLog == "" && notCompared || tc.wantLog != "" && !strings.Contains(log.String(), tc.wantLog) {
				t.Errorf("log:\n%s\nwant %q", log.String(), tc.wantLog)
			}
		})
	}
}

// fateMigrateServer answers /v1/model/migrate for the guest 9999 as FATE
// Flow does, the archive at zip, and every other request with FATE
// 1.9+'s 404 for a model it cannot package.
func fateMigrateServer(t *testing.T, zip string) *httptest.Server {
	msg := "Migrating model successfully. The configuration of model has been modified automatically. " +
		"New model id is: " + newModelID + ", model version is: " + unify + ". Model files can be found at '" + zip + "'."
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path != "/v1/model/migrate" {
			w.WriteHeader(404)
			io.WriteString(w, `{"retcode": 404, "retmsg": "Model not found."}`)
			return
		}
		fmt.Fprintf(w, `{"data": {"detail": {"guest": {"9999": {"retcode": 0, "retmsg": %q}}}, "guest": {"9999": 0}}, `+
			`"jobId": "202601010000000000001", "retcode": 0, "retmsg": "success"}`, msg)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestFlowPartyModelIDFromConfig: when the archive's name does not carry
// the party model id, the step takes the new party id from the config
// (migrate_role at the old id's position), and the component comparison
// reads that model.
func TestFlowPartyModelIDFromConfig(t *testing.T) {
	dir := t.TempDir()
	factory := flowtest.New(t, flowtest.Options{Dir: dir})
	factory.PutModel(flowtest.Model{Role: "guest", PartyID: 9999, ModelID: oldModelID, ModelVersion: version,
		Roles: oldRoles, Initiator: fate.Party{Role: "guest", PartyID: 9999}})
	migrated := filepath.Join(dir, "model_local_cache", "guest#99#"+newModelID, unify, "define", "define_meta.yaml")
	cfg := &migrate.Config{Engine: "flow", Host: "new-guest", Config: conf(), Party: "guest:9999"}
	srv := fateMigrateServer(t, "/data/projects/fate/fateflow/temp/renamed.zip")

	// Without fate_base: the outputs.
	env := newEnv(t, map[string]hosts.Spec{"new-guest": {Flow: srv.URL}})
	out, err := migrate.New().Run(context.Background(), env, cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := steps.Outputs{"party": "guest:9999", "model_id": newModelID, "party_model_id": "guest#99#" + newModelID,
		"model_version": unify, "zip": "/data/projects/fate/fateflow/temp/renamed.zip", "sha256": ""}
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("outputs (-want +got):\n%s", diff)
	}

	// With fate_base: the comparison reads guest#99#<new model id>.
	env = newEnv(t, map[string]hosts.Spec{"new-guest": {Flow: srv.URL, FateBase: dir}})
	var log strings.Builder
	env.Log = &log
	os.MkdirAll(filepath.Dir(migrated), 0o755)
	os.WriteFile(migrated, []byte("component_define:\n  pipeline:\n    module_name: Pipeline\n"), 0o644)
	_, err = migrate.New().Run(context.Background(), env, cfg)
	if err == nil || !strings.Contains(err.Error(), "migrated model guest#99#"+newModelID+" "+unify+" lacks the components dataio_0") {
		t.Errorf("pipeline-only migrated model: err = %v\nlog:\n%s", err, log.String())
	}

	// A define_meta.yaml that cannot be read is reported, not skipped.
	os.WriteFile(migrated, []byte("component_define: [\n"), 0o644)
	_, err = migrate.New().Run(context.Background(), env, cfg)
	if err == nil || !strings.Contains(err.Error(), "FATE Flow reported success; compare the components of guest#99#"+newModelID) ||
		!strings.Contains(err.Error(), "parse "+migrated) {
		t.Errorf("unreadable define_meta.yaml: err = %v", err)
	}
}

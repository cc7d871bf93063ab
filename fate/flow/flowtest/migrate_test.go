package flowtest_test

import (
	"archive/zip"
	"encoding/json"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"

	"github.com/planrun/planrun/fate"
	"github.com/planrun/planrun/fate/flow"
	"github.com/planrun/planrun/fate/flow/flowtest"
	"github.com/planrun/planrun/fate/pb"
)

// migrateOne stores guest 9999's model (its pipeline replaced by pipe when
// set) on a server of gen, migrates it to guest 99 and returns the
// party's retmsg and, when it succeeded, the pipeline in the archive.
func migrateOne(t *testing.T, gen flowtest.Generation, pipe *pb.Pipeline, initiator map[string]any) (string, *pb.Pipeline) {
	t.Helper()
	srv := flowtest.New(t, flowtest.Options{Generation: gen})
	m := flowtest.Model{Role: "guest", PartyID: 9999, ModelID: "guest-9999#host-10000#model", ModelVersion: "1",
		Roles: map[string][]int64{"guest": {9999}, "host": {10000}}, Initiator: fate.Party{Role: "guest", PartyID: 9999}}
	if pipe != nil {
		b, err := proto.Marshal(pipe)
		if err != nil {
			t.Fatal(err)
		}
		m.Extra = map[string][]byte{pipelinePath: b}
	}
	srv.PutModel(m)
	body, _ := json.Marshal(map[string]any{"job_parameters": map[string]any{"federated_mode": "SINGLE"},
		"role": map[string]any{"guest": []int{9999}, "host": []int{10000}}, "execute_party": map[string]any{"guest": []int{9999}},
		"migrate_role": map[string]any{"guest": []int{99}, "host": []int{100}}, "migrate_initiator": initiator,
		"model_id": m.ModelID, "model_version": "1", "unify_model_version": "2"})
	_, ans, raw := post(t, srv, "/v1/model/migrate", "application/json", body)
	d, _ := ans["data"].(map[string]any)
	det, _ := d["detail"].(map[string]any)
	g, _ := det["guest"].(map[string]any)
	p, _ := g["9999"].(map[string]any)
	msg, _ := p["retmsg"].(string)
	if msg == "" {
		t.Fatalf("no guest detail in %s", raw)
	}
	_, _, zipPath, ok := flow.ParseMigratedMessage(msg)
	if !ok {
		return msg, nil
	}
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	rc, err := zr.Open(pipelinePath)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	out := &pb.Pipeline{}
	if err := proto.Unmarshal(b, out); err != nil {
		t.Fatal(err)
	}
	return msg, out
}

// TestMigrateRewritesPipelineAsFATE: FF@v1.11.2 migration() updates four
// keys of runtime_conf_on_party and keeps the rest; train_runtime_conf's
// initiator is migrate_initiator as sent; 1.5-1.8 leave roles and
// runtime_conf_on_party as they were.
func TestMigrateRewritesPipelineAsFATE(t *testing.T) {
	initiator := map[string]any{"role": "guest", "party_id": 99, "note": "as sent"}
	wantInitiator := map[string]any{"role": "guest", "party_id": 99.0, "note": "as sent"}
	oldRoles := map[string]any{"guest": []any{9999.0}, "host": []any{10000.0}}
	newRoles := map[string]any{"guest": []any{99.0}, "host": []any{100.0}}
	oldRCOP := map[string]any{"dsl_version": 2.0, "role": oldRoles, "initiator": map[string]any{"role": "guest", "party_id": 9999.0},
		"local": map[string]any{"role": "guest", "party_id": 9999.0}, "component_parameters": map[string]any{},
		"job_parameters": map[string]any{"job_type": "train", "model_id": "guest-9999#host-10000#model", "model_version": "1"}}
	newRCOP := map[string]any{"dsl_version": 2.0, "role": newRoles, "initiator": wantInitiator,
		"local": map[string]any{"role": "guest", "party_id": 9999.0}, "component_parameters": map[string]any{},
		"job_parameters": map[string]any{"job_type": "train", "model_id": "guest-99#host-100#model", "model_version": "2"}}
	cases := map[string]struct {
		gen       flowtest.Generation
		wantRoles any
		wantRCOP  any
	}{
		"1.9+":    {flowtest.Gen19, newRoles, newRCOP},
		"1.7-1.8": {flowtest.Gen17, oldRoles, oldRCOP},
		"1.5-1.6": {flowtest.Gen15, oldRoles, oldRCOP},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			msg, p := migrateOne(t, tc.gen, nil, initiator)
			if p == nil {
				t.Fatal(msg)
			}
			if diff := cmp.Diff(tc.wantRCOP, jsonOf(t, p.RuntimeConfOnParty)); diff != "" {
				t.Errorf("runtime_conf_on_party (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantRoles, jsonOf(t, p.Roles)); diff != "" {
				t.Errorf("roles (-want +got):\n%s", diff)
			}
			trc := jsonOf(t, p.TrainRuntimeConf).(map[string]any)
			if diff := cmp.Diff(wantInitiator, trc["initiator"]); diff != "" {
				t.Errorf("train_runtime_conf.initiator (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(newRoles, trc["role"]); diff != "" {
				t.Errorf("train_runtime_conf.role (-want +got):\n%s", diff)
			}
			if p.ModelId != "guest-99#host-100#model" || p.ModelVersion != "2" || p.InitiatorRole != "guest" || p.InitiatorPartyId != 99 {
				t.Errorf("pipeline = %s %s %s %d", p.ModelId, p.ModelVersion, p.InitiatorRole, p.InitiatorPartyId)
			}
		})
	}
}

// TestMigrateJobParametersAdapter: 1.7+ add job_parameters and
// job_parameters.common when missing before setting the new model id and
// version (JobRuntimeConfigAdapter); 1.5/1.6 do not, and fail.
func TestMigrateJobParametersAdapter(t *testing.T) {
	pipe := func(trc string) *pb.Pipeline {
		return &pb.Pipeline{TrainRuntimeConf: []byte(trc), FateVersion: "1.5.0", ModelId: "guest-9999#host-10000#model", ModelVersion: "1"}
	}
	v1 := `{"initiator": {"role": "guest", "party_id": 9999}, "role": {"guest": [9999], "host": [10000]}}`
	v2 := `{"dsl_version": "2", "initiator": {"role": "guest", "party_id": 9999}, "role": {"guest": [9999], "host": [10000]}, "job_parameters": {"model_id": "x"}}`
	ids := map[string]any{"model_id": "guest-99#host-100#model", "model_version": "2"}
	cases := map[string]struct {
		gen     flowtest.Generation
		trc     string
		wantJP  any
		wantMsg string
	}{
		"1.9+ dsl v1 without job_parameters": {flowtest.Gen19, v1, map[string]any{"common": map[string]any{}, "model_id": ids["model_id"], "model_version": "2"}, ""},
		"1.7 dsl v2 without common":          {flowtest.Gen17, v2, map[string]any{"model_id": "x", "common": ids}, ""},
		"1.5 dsl v1 without job_parameters":  {flowtest.Gen15, v1, nil, "'job_parameters'"},
		"1.5 dsl v2 without common":          {flowtest.Gen15, v2, nil, "the configuration format for v2 version must be job_parameters:common"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			msg, p := migrateOne(t, tc.gen, pipe(tc.trc), map[string]any{"role": "guest", "party_id": 99})
			if tc.wantMsg != "" {
				if p != nil || msg != tc.wantMsg {
					t.Errorf("retmsg = %q, want %q", msg, tc.wantMsg)
				}
				return
			}
			if p == nil {
				t.Fatal(msg)
			}
			trc := jsonOf(t, p.TrainRuntimeConf).(map[string]any)
			if diff := cmp.Diff(tc.wantJP, trc["job_parameters"]); diff != "" {
				t.Errorf("job_parameters (-want +got):\n%s", diff)
			}
			// fate_version 1.5.0 is not above 1.5.0: initiator_* untouched.
			if p.InitiatorRole != "" || p.InitiatorPartyId != 0 {
				t.Errorf("initiator = %s %d, want unset at fate_version 1.5.0", p.InitiatorRole, p.InitiatorPartyId)
			}
		})
	}
}

// TestMigrateRequestAsPython: /v1/model/migrate's checks run on the
// decoded JSON as FATE's Python does: compare_roles compares ids by str()
// and answers Python's own error (retcode 100, str(e)) for a role map or
// id list of the wrong type; a KeyError or AttributeError outside the
// handler's try is retcode 100 with str(e) before 1.9 and repr(e) after.
func TestMigrateRequestAsPython(t *testing.T) {
	base := func(edit func(m map[string]any)) []byte {
		m := map[string]any{"job_parameters": map[string]any{"federated_mode": "SINGLE"},
			"role": map[string]any{"guest": []any{9999}, "host": []any{10000}}, "execute_party": map[string]any{"guest": []any{9999}},
			"migrate_role": map[string]any{"guest": []any{99}, "host": []any{100}}, "migrate_initiator": map[string]any{"role": "guest", "party_id": 99},
			"model_id": "guest-9999#host-10000#model", "model_version": "1"}
		edit(m)
		b, _ := json.Marshal(m)
		return b
	}
	cases := map[string]struct {
		gen  flowtest.Generation
		body []byte
		want map[string]any
	}{
		"ids as strings are the same ids": {flowtest.Gen19, base(func(m map[string]any) {
			m["migrate_role"] = map[string]any{"guest": []any{"9999"}, "host": []any{"10000"}}
		}), map[string]any{"retcode": 100.0, "retmsg": "The config of previous roles is the same with that of migrate roles. There is no need to migrate model. Migration process aborting."}},
		"an id list that is a number": {flowtest.Gen19, base(func(m map[string]any) {
			m["migrate_role"] = map[string]any{"guest": 99, "host": []any{100}}
		}), map[string]any{"retcode": 100.0, "retmsg": "object of type 'int' has no len()"}},
		"a role map that is a list": {flowtest.Gen17, base(func(m map[string]any) {
			m["migrate_role"] = []any{99, 100}
		}), map[string]any{"retcode": 100.0, "retmsg": "'list' object has no attribute 'keys'"}},
		"ids of another length": {flowtest.Gen19, base(func(m map[string]any) {
			m["migrate_role"] = map[string]any{"guest": []any{99}, "host": []any{100, 101}}
		}), map[string]any{"retcode": 100.0, "retmsg": "The structure of roles data of local configuration is different from model runtime configuration's. Migration aborting."}},
		"1.9+ executing role not in migrate_role": {flowtest.Gen19, base(func(m map[string]any) {
			m["execute_party"] = map[string]any{"arbiter": []any{10000}}
		}), map[string]any{"retcode": 100.0, "retmsg": `AttributeError("'NoneType' object has no attribute 'get'")`}},
		"1.7 executing role not in migrate_role": {flowtest.Gen17, base(func(m map[string]any) {
			m["execute_party"] = map[string]any{"arbiter": []any{10000}}
		}), map[string]any{"retcode": 100.0, "retmsg": "'NoneType' object has no attribute 'get'"}},
		"1.9+ initiator without party_id": {flowtest.Gen19, base(func(m map[string]any) {
			m["migrate_initiator"] = map[string]any{"role": "guest"}
		}), map[string]any{"retcode": 100.0, "retmsg": "KeyError('party_id')"}},
		"1.5 initiator without party_id": {flowtest.Gen15, base(func(m map[string]any) {
			m["migrate_initiator"] = map[string]any{"role": "guest"}
		}), map[string]any{"retcode": 100.0, "retmsg": "'party_id'"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			srv := flowtest.New(t, flowtest.Options{Generation: tc.gen})
			status, got, raw := post(t, srv, "/v1/model/migrate", "application/json", tc.body)
			if status != 200 {
				t.Errorf("HTTP %d %s", status, raw)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
		})
	}
}

// TestFailuresWordedAsFATE: whole answers for failures, compared exactly.
func TestFailuresWordedAsFATE(t *testing.T) {
	doNoModel := []byte(`{"model_id":"m","model_version":"1","unify_model_version":"2","migrate_role":{"guest":[2],"host":[3]},` +
		`"migrate_initiator":{"role":"guest","party_id":2},"local":{"role":"guest","party_id":1,"migrate_party_id":2}}`)
	doNoLocal := []byte(`{"model_id":"m","model_version":"1","unify_model_version":"2","migrate_role":{"guest":[2],"host":[3]},` +
		`"migrate_initiator":{"role":"guest","party_id":2},"local":null}`)
	// execute_party names the guest as "9999" where role has 9999: the
	// handler finds no local block for it.
	strID := []byte(`{"job_parameters":{"federated_mode":"SINGLE"},"role":{"guest":[9999],"host":[10000]},"execute_party":{"guest":["9999"]},` +
		`"migrate_role":{"guest":[99],"host":[100]},"migrate_initiator":{"role":"guest","party_id":99},"model_id":"m","model_version":"1"}`)
	cases := map[string]struct {
		gen    flowtest.Generation
		path   string
		body   []byte
		status int
		want   map[string]any
	}{
		// FileNotFoundError(f"Can not found {model_id} {model_version} model local cache.") inside
		// migration()'s try, whose failure data is {}.
		"1.9+ migrate/do no model": {flowtest.Gen19, "/v1/model/migrate/do", doNoModel, 200,
			map[string]any{"retcode": 100.0, "retmsg": "Can not found m 1 model local cache.", "data": map[string]any{}}},
		"1.7 migrate/do no model": {flowtest.Gen17, "/v1/model/migrate/do", doNoModel, 200,
			map[string]any{"retcode": 100.0, "retmsg": "Can not found m 1 model local cache", "data": map[string]any{}}},
		// 1.9+ read config_data['local']['role'] before the try: the
		// TypeError reaches server_error_response (repr, no data).
		"1.9+ migrate/do no local": {flowtest.Gen19, "/v1/model/migrate/do", doNoLocal, 200,
			map[string]any{"retcode": 100.0, "retmsg": `TypeError("'NoneType' object is not subscriptable")`}},
		"1.7 migrate/do no local": {flowtest.Gen17, "/v1/model/migrate/do", doNoLocal, 200,
			map[string]any{"retcode": 100.0, "retmsg": "'NoneType' object is not subscriptable", "data": map[string]any{}}},
		"1.9+ packaging no model": {flowtest.Gen19, "/v1/model/archive/packaging", []byte(`{"party_model_id":"guest#1#m","model_version":"1"}`), 404,
			map[string]any{"retcode": 404.0, "retmsg": "Model not found."}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			srv := flowtest.New(t, flowtest.Options{Generation: tc.gen})
			status, got, raw := post(t, srv, tc.path, "application/json", tc.body)
			if status != tc.status {
				t.Errorf("HTTP %d %s, want %d", status, raw, tc.status)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("1.9+ executing id of another type", func(t *testing.T) {
		srv := flowtest.New(t, flowtest.Options{})
		_, got, raw := post(t, srv, "/v1/model/migrate", "application/json", strID)
		d, _ := got["data"].(map[string]any)
		want := map[string]any{"guest": map[string]any{"9999": 100.0}, "detail": map[string]any{"guest": map[string]any{
			"9999": map[string]any{"retcode": 100.0, "retmsg": `TypeError("'NoneType' object is not subscriptable")`}}}}
		if diff := cmp.Diff(want, d); diff != "" || got["retcode"] != 0.0 {
			t.Errorf("answer %s; data (-want +got):\n%s", raw, diff)
		}
	})
}

package flowtest_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"

	"github.com/planrun/planrun/fate"
	"github.com/planrun/planrun/fate/flow/flowtest"
	"github.com/planrun/planrun/fate/pb"
)

// importModel posts an archive to a server's /v1/model/import as guest 99
// of model m (version 1), with extra form fields.
func importModel(t *testing.T, srv *flowtest.Server, archive []byte, extra map[string]string) (int, map[string]any, string) {
	t.Helper()
	fields := map[string]string{"role": "guest", "party_id": "99", "model_id": "guest-99#host-100#model", "model_version": "1"}
	for k, v := range extra {
		fields[k] = v
	}
	body, ct := form(fields, archive, "m.zip")
	return post(t, srv, "/v1/model/import", ct, body)
}

// newGuest is guest 99's migrated model; pipe, when set, replaces its
// pipeline and meta its define_meta.yaml.
func newGuest(t *testing.T, pipe *pb.Pipeline, meta string) map[string][]byte {
	files := flowtest.ModelFiles(flowtest.Model{Role: "guest", PartyID: 99, ModelID: "guest-99#host-100#model", ModelVersion: "1",
		Roles: map[string][]int64{"guest": {99}, "host": {100}}, Initiator: fate.Party{Role: "guest", PartyID: 99}})
	if pipe != nil {
		b, err := proto.Marshal(pipe)
		if err != nil {
			t.Fatal(err)
		}
		files[pipelinePath] = b
	}
	if meta != "" {
		files["define/define_meta.yaml"] = []byte(meta)
	}
	return files
}

// TestImportAsFATE19: what FF@v1.11.2 apps/model_app.py operate_model's
// import does beyond the argument and party checks.
func TestImportAsFATE19(t *testing.T) {
	t.Run("a hash is checked whenever sent, even empty", func(t *testing.T) {
		srv := flowtest.New(t, flowtest.Options{})
		_, got, raw := importModel(t, srv, flowtest.ZipFiles(newGuest(t, nil, "")), map[string]string{"hash": ""})
		if got["retcode"] != 100.0 || !strings.HasPrefix(got["retmsg"].(string), "ValueError('Model archive hash mismatch. path: ") ||
			!strings.Contains(got["retmsg"].(string), " expected:  actual: ") {
			t.Errorf("answer = %s", raw)
		}
	})
	t.Run("an existing directory is refused before the hash is checked", func(t *testing.T) {
		srv := flowtest.New(t, flowtest.Options{})
		srv.PutModel(flowtest.Model{Role: "guest", PartyID: 99, ModelID: "guest-99#host-100#model", ModelVersion: "1",
			Roles: map[string][]int64{"guest": {99}}, Unregistered: true})
		_, got, _ := importModel(t, srv, flowtest.ZipFiles(newGuest(t, nil, "")), map[string]string{"hash": "0"})
		want := map[string]any{"retcode": 100.0, "retmsg": "FileExistsError('Model guest#99#guest-99#host-100#model 1 local cache already existed.')"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("answer (-want +got):\n%s", diff)
		}
	})
	t.Run("force_update unpacks over the existing directory", func(t *testing.T) {
		srv := flowtest.New(t, flowtest.Options{})
		dir := srv.PutModel(flowtest.Model{Role: "guest", PartyID: 99, ModelID: "guest-99#host-100#model", ModelVersion: "1",
			Roles: map[string][]int64{"guest": {99}}, Unregistered: true, Extra: map[string][]byte{"left-over": []byte("x")}})
		if _, got, raw := importModel(t, srv, flowtest.ZipFiles(newGuest(t, nil, "")), map[string]string{"force_update": "1"}); got["retcode"] != 0.0 {
			t.Fatalf("answer = %s", raw)
		}
		if _, err := os.Stat(filepath.Join(dir, "left-over")); err != nil {
			t.Errorf("the file the archive does not have: %v", err)
		}
	})
	metaCases := map[string]struct{ meta, want string }{
		"no define_meta.yaml model_proto": {"component_define:\n  dataio_0:\n    module_name: DataIO\n", "KeyError('model_proto')"},
		"a component without model_proto": {"component_define:\n  dataio_0:\n    module_name: DataIO\n  hetero_lr_0:\n    module_name: HeteroLR\n" +
			"model_proto:\n  dataio_0:\n    dataio:\n      DataIOMeta: DataIOMeta\n  pipeline:\n    pipeline:\n      Pipeline: Pipeline\n", "KeyError('hetero_lr_0')"},
		"no component_define":        {"model_proto:\n  pipeline:\n    pipeline:\n      Pipeline: Pipeline\n", "KeyError('component_define')"},
		"no pipeline in model_proto": {"component_define:\n  dataio_0:\n    module_name: DataIO\nmodel_proto:\n  dataio_0:\n    dataio:\n      DataIOMeta: DataIOMeta\n", "KeyError('Pipeline')"},
	}
	for name, tc := range metaCases {
		t.Run(name, func(t *testing.T) {
			srv := flowtest.New(t, flowtest.Options{})
			_, got, _ := importModel(t, srv, flowtest.ZipFiles(newGuest(t, nil, tc.meta)), nil)
			if diff := cmp.Diff(map[string]any{"retcode": 100.0, "retmsg": tc.want}, got); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("define_meta rows left by a failed import", func(t *testing.T) {
		srv := flowtest.New(t, flowtest.Options{})
		// runtime_conf_on_party without job_parameters: the import fails
		// after it saved the define_meta rows.
		pipe := &pb.Pipeline{FateVersion: "1.9.0", ModelId: "guest-99#host-100#model", ModelVersion: "1",
			TrainRuntimeConf:   []byte(`{"role": {"guest": [99], "host": [100]}, "initiator": {"role": "guest", "party_id": 99}}`),
			RuntimeConfOnParty: []byte(`{"role": {"guest": [99], "host": [100]}}`)}
		archive := flowtest.ZipFiles(newGuest(t, pipe, ""))
		_, got, _ := importModel(t, srv, archive, nil)
		if diff := cmp.Diff(map[string]any{"retcode": 100.0, "retmsg": "KeyError('job_parameters')"}, got); diff != "" {
			t.Errorf("first import (-want +got):\n%s", diff)
		}
		os.RemoveAll(filepath.Join(srv.CacheDir(), "guest#99#guest-99#host-100#model"))
		_, got, _ = importModel(t, srv, archive, nil)
		if diff := cmp.Diff(map[string]any{"retcode": 100.0, "retmsg": "ValueError('The define_meta data already exists in database.')"}, got); diff != "" {
			t.Errorf("second import (-want +got):\n%s", diff)
		}
		_, got, _ = importModel(t, srv, archive, map[string]string{"force_update": "1"})
		if diff := cmp.Diff(map[string]any{"retcode": 100.0, "retmsg": "KeyError('job_parameters')"}, got); diff != "" {
			t.Errorf("forced import (-want +got):\n%s", diff)
		}
	})
}

// TestImportFixesPipelineAsFATE19: model_id and model_version from the
// request, in runtime_conf_on_party.job_parameters above fate_version
// 1.5.0, and below 1.9.0 roles and runtime_conf_on_party's role and
// initiator from train_runtime_conf, which stays as it was.
func TestImportFixesPipelineAsFATE19(t *testing.T) {
	trc := `{"dsl_version": 2, "role": {"guest": [99], "host": [100]}, "initiator": {"role": "guest", "party_id": 99}, ` +
		`"job_parameters": {"common": {"model_id": "trc-id", "model_version": "trc-v"}}}`
	stale := `{"role": {"guest": [9999], "host": [10000]}, "initiator": {"role": "guest", "party_id": 9999}, "local": {"role": "guest", "party_id": 9999}, ` +
		`"job_parameters": {"job_type": "train", "model_id": "old-id", "model_version": "old-v"}}`
	newJP := map[string]any{"job_type": "train", "model_id": "guest-99#host-100#model", "model_version": "1"}
	oldLocal := map[string]any{"role": "guest", "party_id": 9999.0}
	cases := map[string]struct {
		fateVersion string
		wantRoles   any
		wantRCOP    any
	}{
		"1.8.0": {"1.8.0", map[string]any{"guest": []any{99.0}, "host": []any{100.0}}, map[string]any{
			"role": map[string]any{"guest": []any{99.0}, "host": []any{100.0}}, "initiator": map[string]any{"role": "guest", "party_id": 99.0},
			"local": oldLocal, "job_parameters": newJP}},
		"1.9.0": {"1.9.0", map[string]any{"guest": []any{9999.0}, "host": []any{10000.0}}, map[string]any{
			"role": map[string]any{"guest": []any{9999.0}, "host": []any{10000.0}}, "initiator": map[string]any{"role": "guest", "party_id": 9999.0},
			"local": oldLocal, "job_parameters": newJP}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			srv := flowtest.New(t, flowtest.Options{})
			pipe := &pb.Pipeline{FateVersion: tc.fateVersion, ModelId: "old-id", ModelVersion: "old-v", TrainRuntimeConf: []byte(trc),
				RuntimeConfOnParty: []byte(stale), Roles: []byte(`{"guest": [9999], "host": [10000]}`)}
			if _, got, raw := importModel(t, srv, flowtest.ZipFiles(newGuest(t, pipe, "")), nil); got["retcode"] != 0.0 {
				t.Fatalf("answer = %s", raw)
			}
			b, err := os.ReadFile(filepath.Join(srv.CacheDir(), "guest#99#guest-99#host-100#model", "1", pipelinePath))
			if err != nil {
				t.Fatal(err)
			}
			p := &pb.Pipeline{}
			if err := proto.Unmarshal(b, p); err != nil {
				t.Fatal(err)
			}
			if p.ModelId != "guest-99#host-100#model" || p.ModelVersion != "1" {
				t.Errorf("model_id, model_version = %s, %s", p.ModelId, p.ModelVersion)
			}
			if diff := cmp.Diff(tc.wantRoles, jsonOf(t, p.Roles)); diff != "" {
				t.Errorf("roles (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantRCOP, jsonOf(t, p.RuntimeConfOnParty)); diff != "" {
				t.Errorf("runtime_conf_on_party (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(jsonOf(t, []byte(trc)), jsonOf(t, p.TrainRuntimeConf)); diff != "" {
				t.Errorf("train_runtime_conf (-want +got):\n%s", diff)
			}
		})
	}
}

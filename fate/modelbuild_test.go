package fate

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/planrun/planrun/fate/pb"
)

// testModel describes a model the tests write themselves: parties guest
// 9999, host 10000, arbiter 10000, model version "v1", a DataTransform
// component (which has a converter) and a HeteroLR one (which does not).
type testModel struct {
	fateVersion string
	dslVersion  int  // 2, or 0 for the old format without dsl_version
	jsonTwins   bool // 1.7+: <Model>.json next to every buffer
	extra       map[string][]byte
}

const testModelID = "arbiter-10000#guest-9999#host-10000#model"

func (tm testModel) trc() string {
	if tm.dslVersion == 2 {
		return `{"dsl_version": 2, "initiator": {"role": "guest", "party_id": 9999}, "role": {"guest": [9999], "host": [10000], "arbiter": [10000]}, ` +
			`"job_parameters": {"common": {"work_mode": 1, "model_id": "` + testModelID + `", "model_version": "v1"}}, ` +
			`"component_parameters": {"role": {"guest": {"0": {"reader_0": {"table": {"name": "t", "namespace": "n"}}}}}}}`
	}
	return `{"initiator": {"role": "guest", "party_id": 9999}, "job_parameters": {"work_mode": 1}, ` +
		`"role": {"guest": [9999], "host": [10000], "arbiter": [10000]}}`
}

func (tm testModel) runtimeConfOnParty(role string, pid int64) string {
	return `{"dsl_version": 2, "initiator": {"role": "guest", "party_id": 9999}, "role": {"guest": [9999], "host": [10000], "arbiter": [10000]}, ` +
		`"job_parameters": {"job_type": "train", "model_id": "` + testModelID + `", "model_version": "v1", "computing_partitions": 4}}`
}

// write creates `<parent>/<role>#<pid>#<model_id>/v1` and returns it.
func (tm testModel) write(t testing.TB, parent, role string, pid int64) string {
	t.Helper()
	dir := filepath.Join(parent, PartyModelID(role, pid, testModelID), "v1")
	p := &pb.Pipeline{
		InferenceDsl: []byte(`{"components": {}}`), TrainDsl: []byte(`{"components": {}}`),
		TrainRuntimeConf: []byte(tm.trc()), FateVersion: tm.fateVersion, ModelId: testModelID, ModelVersion: "v1",
	}
	if c, _ := compareVersion(tm.fateVersion, "1.5.0"); c == "gt" {
		p.Roles = []byte(`{"guest": [9999], "host": [10000], "arbiter": [10000]}`)
		p.InitiatorRole, p.InitiatorPartyId = "guest", 9999
		p.RuntimeConfOnParty = []byte(tm.runtimeConfOnParty(role, pid))
		p.WorkMode = 1
	}
	anon := []string{role + "_" + itoa(pid) + "_0", role + "_" + itoa(pid) + "_1"}
	dtParam := &pb.DataTransformParam{Header: []string{"x0", "x1"}, AnonymousHeader: anon}
	dtMeta := &pb.DataTransformMeta{}
	lrParam := &pb.LRModelParam{Iters: 3, Header: []string{"x0", "x1"}, Weight: map[string]float64{"x0": 0.5, "x1": -1.25}}
	lrMeta := &pb.LRModelMeta{}
	files := map[string][]byte{
		defineMetaPath: []byte("describe: This is the model definition meta\ncomponent_define:\n" +
			"  data_transform_0:\n    module_name: DataTransform\n  hetero_lr_0:\n    module_name: HeteroLR\n  pipeline:\n    module_name: Pipeline\n" +
			"model_proto:\n  data_transform_0:\n    model:\n      DataTransformMeta: DataTransformMeta\n      DataTransformParam: DataTransformParam\n" +
			"  hetero_lr_0:\n    model:\n      HeteroLogisticRegressionMeta: LRModelMeta\n      HeteroLogisticRegressionParam: LRModelParam\n" +
			"  pipeline:\n    pipeline:\n      Pipeline: Pipeline\n"),
		"variables/data/data_transform_0/model/DataTransformParam":       mustMarshal(t, dtParam),
		"variables/data/data_transform_0/model/DataTransformMeta":        mustMarshal(t, dtMeta),
		"variables/data/hetero_lr_0/model/HeteroLogisticRegressionParam": mustMarshal(t, lrParam),
		"variables/data/hetero_lr_0/model/HeteroLogisticRegressionMeta":  mustMarshal(t, lrMeta),
		pipelineBuffer: mustMarshal(t, p),
		".lock":        nil,
	}
	if tm.jsonTwins {
		files["variables/data/data_transform_0/model/DataTransformParam.json"] = dictJSON(dtParam.ProtoReflect())
		files["variables/data/data_transform_0/model/DataTransformMeta.json"] = dictJSON(dtMeta.ProtoReflect())
		files["variables/data/hetero_lr_0/model/HeteroLogisticRegressionParam.json"] = dictJSON(lrParam.ProtoReflect())
		files[pipelineBuffer+".json"] = dictJSON(p.ProtoReflect())
		files["run_parameters/hetero_lr_0/run_parameters.json"] = []byte(`{"penalty": "L2", "max_iter": 3}`)
	}
	if c, _ := compareVersion(tm.fateVersion, "1.9.0"); c == "lt" {
		files[pipelinePBPath] = files[pipelineBuffer]
	}
	for k, v := range tm.extra {
		files[k] = v
	}
	for rel, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "variables/index"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func mustMarshal(t testing.TB, m proto.Message) []byte {
	t.Helper()
	b, err := marshalBuffer(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

const testMigrate = `{"job_parameters": {"federated_mode": "SINGLE"},
 "role": {"guest": [9999], "host": [10000], "arbiter": [10000]},
 "execute_party": {"guest": [9999], "host": [10000], "arbiter": [10000]},
 "migrate_initiator": {"role": "guest", "party_id": 99},
 "migrate_role": {"guest": [99], "host": [100], "arbiter": [100]},
 "model_id": "arbiter-10000#guest-9999#host-10000#model", "model_version": "v1", "unify_model_version": "v2"}`

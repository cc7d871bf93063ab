package fate

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/planrun/planrun/fate/pb"
)

// The wants are what Python protobuf's MessageToDict(m,
// including_default_value_fields=True) and json.dumps give: set fields in
// field-number order, then unset ones in declaration order (singular
// messages left out).
func TestMessageToDict(t *testing.T) {
	tests := map[string]struct {
		msg  proto.Message
		want string
	}{
		"pipeline": {
			&pb.Pipeline{TrainDsl: []byte("{}"), FateVersion: "1.11.4", ModelId: "m", InitiatorPartyId: 99},
			`{"trainDsl": "e30=", "fateVersion": "1.11.4", "modelId": "m", "initiatorPartyId": 99, "inferenceDsl": "", ` +
				`"trainRuntimeConf": "", "modelVersion": "", "parent": false, "loadedTimes": 0, "roles": "", "workMode": 0, ` +
				`"initiatorRole": "", "runtimeConfOnParty": "", "parentInfo": ""}`,
		},
		"maps, lists, floats, unicode": {
			&pb.LRModelParam{Iters: 3, LossHistory: []float64{0.5, 1e-05}, Weight: map[string]float64{"x1": -1.25, "x0": 0.5}, Header: []string{"x0", "é"}},
			`{"iters": 3, "lossHistory": [0.5, 1e-05], "weight": {"x0": 0.5, "x1": -1.25}, "header": ["x0", "\u00e9"], ` +
				`"isConverged": false, "intercept": 0.0, "needOneVsRest": false, "bestIteration": 0, "encryptedWeight": {}}`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := string(dictJSON(tc.msg.ProtoReflect())); got != tc.want {
				t.Errorf("dictJSON:\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestFillMessage(t *testing.T) {
	b, err := marshalBuffer(&pb.LRModelMeta{})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != "\x0a\x03set" {
		t.Errorf("empty message stored as %x, want 0a03736574", b)
	}
	var p pb.Pipeline
	if err := unmarshalBuffer(b, &p); err != nil || !proto.Equal(&p, &pb.Pipeline{}) {
		t.Errorf("fill message read as %v, %v", &p, err)
	}
}

// Fields this planrun does not know (a newer FATE's) survive a migration.
func TestMigrateKeepsUnknownPipelineFields(t *testing.T) {
	src := testModel{fateVersion: "1.11.4", dslVersion: 2}.write(t, t.TempDir(), "guest", 9999)
	p := filepath.Join(src, pipelineBuffer)
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	unknown := protowire.AppendTag(nil, 99, protowire.BytesType)
	unknown = protowire.AppendString(unknown, "from the future")
	if err := os.WriteFile(p, append(data, unknown...), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Migrate(context.Background(), MigrateRequest{Src: src, OutDir: t.TempDir(), Config: mustConfig(t, testMigrate)})
	if err != nil {
		t.Fatal(err)
	}
	_, files := readZip(t, res.Zip)
	var got pb.Pipeline
	if err := proto.Unmarshal(files[pipelineBuffer], &got); err != nil {
		t.Fatal(err)
	}
	if string(got.ProtoReflect().GetUnknown()) != string(unknown) {
		t.Errorf("unknown fields = %x, want %x", got.ProtoReflect().GetUnknown(), unknown)
	}
	if got.ModelId != newModelID {
		t.Errorf("model_id = %q", got.ModelId)
	}
}

package fate

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"

	"github.com/planrun/planrun/fate/pb"
)

const (
	newModelID = "arbiter-100#guest-99#host-100#model"
	wantRoles  = `{"guest": [99], "host": [100], "arbiter": [100]}`
	wantTRC2   = `{"dsl_version": 2, "initiator": {"role": "guest", "party_id": 99}, "role": ` + wantRoles + `, ` +
		`"job_parameters": {"common": {"work_mode": 1, "model_id": "` + newModelID + `", "model_version": "v2"}}, ` +
		`"component_parameters": {"role": {"guest": {"0": {"reader_0": {"table": {"name": "t", "namespace": "n"}}}}}}}`
	// FATE 1.10+'s adapter adds "common" to an old-format conf and puts the ids beside it.
	wantTRC1 = `{"initiator": {"role": "guest", "party_id": 99}, "job_parameters": {"work_mode": 1, "common": {}, ` +
		`"model_id": "` + newModelID + `", "model_version": "v2"}, "role": ` + wantRoles + `}`
	wantRCOP = `{"dsl_version": 2, "initiator": {"role": "guest", "party_id": 99}, "role": ` + wantRoles + `, ` +
		`"job_parameters": {"job_type": "train", "model_id": "` + newModelID + `", "model_version": "v2", "computing_partitions": 4}}`
)

func TestMigrateLayouts(t *testing.T) {
	tests := map[string]struct {
		model    testModel
		wantTRC  string
		wantRCOP string // "" when FATE leaves the 1.5.1+ fields alone (fate_version <= 1.5.0)
	}{
		"1.4.2 old-format conf": {testModel{fateVersion: "1.4.2"}, wantTRC1, ""},
		"1.5.0":                 {testModel{fateVersion: "1.5.0", dslVersion: 2}, wantTRC2, ""},
		"1.6.1":                 {testModel{fateVersion: "1.6.1", dslVersion: 2}, wantTRC2, wantRCOP},
		"1.8.0 with twins":      {testModel{fateVersion: "1.8.0", dslVersion: 2, jsonTwins: true}, wantTRC2, wantRCOP},
		"1.11.4":                {testModel{fateVersion: "1.11.4", dslVersion: 2, jsonTwins: true}, wantTRC2, wantRCOP},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			src := tc.model.write(t, t.TempDir(), "guest", 9999)
			before := treeHash(t, src)
			cfg := mustConfig(t, testMigrate)
			res, err := Migrate(context.Background(), MigrateRequest{Src: src, OutDir: t.TempDir(), Config: cfg})
			if err != nil {
				t.Fatal(err)
			}
			if treeHash(t, src) != before {
				t.Error("the source model changed")
			}
			if want := "guest#99#" + newModelID; res.PartyModelID != want || res.ModelVersion != "v2" {
				t.Errorf("result = %+v", res)
			}
			names, files := readZip(t, res.Zip)
			if slices.Contains(names, ".lock") || !slices.Contains(names, "variables/index/") {
				t.Errorf("entries: .lock must be left out and the empty variables/index/ kept: %q", names)
			}
			var p pb.Pipeline
			if err := proto.Unmarshal(files[pipelineBuffer], &p); err != nil {
				t.Fatal(err)
			}
			if p.ModelId != newModelID || p.ModelVersion != "v2" || string(p.Roles) != wantRoles {
				t.Errorf("pipeline ids: %q %q %s", p.ModelId, p.ModelVersion, p.Roles)
			}
			if got := string(p.TrainRuntimeConf); got != tc.wantTRC {
				t.Errorf("train_runtime_conf:\n got %s\nwant %s", got, tc.wantTRC)
			}
			if got := string(p.RuntimeConfOnParty); tc.wantRCOP != "" && got != tc.wantRCOP {
				t.Errorf("runtime_conf_on_party:\n got %s\nwant %s", got, tc.wantRCOP)
			}
			if tc.wantRCOP != "" && (p.InitiatorRole != "guest" || p.InitiatorPartyId != 99) {
				t.Errorf("initiator = %s:%d", p.InitiatorRole, p.InitiatorPartyId)
			}
			if tc.wantRCOP == "" && (p.InitiatorPartyId != 0 && p.InitiatorPartyId != 9999) {
				t.Errorf("initiator_party_id = %d", p.InitiatorPartyId)
			}
			if _, ok := files[pipelinePBPath]; ok && string(files[pipelinePBPath]) != string(files[pipelineBuffer]) {
				t.Error("pipeline.pb differs from the Pipeline buffer")
			}
			var dt pb.DataTransformParam
			if err := proto.Unmarshal(files["variables/data/data_transform_0/model/DataTransformParam"], &dt); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{"guest_99_0", "guest_99_1"}, dt.AnonymousHeader); diff != "" {
				t.Errorf("anonymous_header (-want +got):\n%s", diff)
			}
			lr := "variables/data/hetero_lr_0/model/HeteroLogisticRegressionParam"
			orig, _ := os.ReadFile(filepath.Join(src, lr))
			if string(files[lr]) != string(orig) {
				t.Error("a component without a converter changed")
			}
			if tc.model.jsonTwins {
				if got, want := string(files["variables/data/data_transform_0/model/DataTransformParam.json"]), string(dictJSON(dt.ProtoReflect())); got != want {
					t.Errorf("DataTransformParam.json:\n got %s\nwant %s", got, want)
				}
				if got, want := string(files[pipelineBuffer+".json"]), string(dictJSON(p.ProtoReflect())); got != want {
					t.Errorf("Pipeline.json:\n got %s\nwant %s", got, want)
				}
				origJSON, _ := os.ReadFile(filepath.Join(src, lr+".json"))
				if string(files[lr+".json"]) != string(origJSON) {
					t.Error("the .json twin of an unchanged buffer changed")
				}
				if string(files["run_parameters/hetero_lr_0/run_parameters.json"]) != `{"penalty": "L2", "max_iter": 3}` {
					t.Error("run_parameters not carried over")
				}
			}
			residue, err := Scan(res.Zip, cfg.Changed())
			if err != nil {
				t.Fatal(err)
			}
			if len(residue) > 0 {
				t.Errorf("residue after migration: %v", residue)
			}
			// The source itself is full of the old ids.
			if residue, err := Scan(src, cfg.Changed()); err != nil || len(residue) < 5 {
				t.Errorf("scan of the source: %v, %v", residue, err)
			}
		})
	}
}

// Migrating A → B and then B → A gives back the original buffers.
func TestMigrateRoundTrip(t *testing.T) {
	for _, role := range []struct {
		name     string
		pid, new int64
	}{{"guest", 9999, 99}, {"host", 10000, 100}} {
		t.Run(role.name, func(t *testing.T) {
			src := testModel{fateVersion: "1.11.4", dslVersion: 2, jsonTwins: true}.write(t, t.TempDir(), role.name, role.pid)
			there, err := Migrate(context.Background(), MigrateRequest{Src: src, OutDir: t.TempDir(), Config: mustConfig(t, testMigrate)})
			if err != nil {
				t.Fatal(err)
			}
			back := `{"job_parameters": {}, "role": {"guest": [99], "host": [100], "arbiter": [100]},
			 "execute_party": {"guest": [99], "host": [100], "arbiter": [100]},
			 "migrate_initiator": {"role": "guest", "party_id": 9999},
			 "migrate_role": {"guest": [9999], "host": [10000], "arbiter": [10000]},
			 "model_id": "` + newModelID + `", "model_version": "v2", "unify_model_version": "v1"}`
			res, err := Migrate(context.Background(), MigrateRequest{Src: there.Zip, OutDir: t.TempDir(), Config: mustConfig(t, back)})
			if err != nil {
				t.Fatal(err)
			}
			if res.PartyModelID != PartyModelID(role.name, role.pid, testModelID) {
				t.Errorf("party model id = %s", res.PartyModelID)
			}
			orig, err := OpenModel(src, ZipLimits{})
			if err != nil {
				t.Fatal(err)
			}
			defer orig.Close()
			_, files := readZip(t, res.Zip)
			for _, md := range orig.Define.Models {
				for _, b := range md.Buffers {
					p := orig.BufferPath(md, b.Name)
					want, _ := orig.ReadFile(p)
					mt := messageType(b.Proto)
					if mt == nil {
						t.Fatalf("no message type %s", b.Proto)
					}
					x, y := mt.New().Interface(), mt.New().Interface()
					if err := unmarshalBuffer(want, x); err != nil {
						t.Fatal(err)
					}
					if err := unmarshalBuffer(files[p], y); err != nil {
						t.Fatalf("%s: %v", p, err)
					}
					if !proto.Equal(x, y) {
						t.Errorf("%s differs after the round trip:\n%v\n%v", p, x, y)
					}
				}
			}
		})
	}
}

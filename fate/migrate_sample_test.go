package fate

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
	"google.golang.org/protobuf/proto"

	"github.com/planrun/planrun/fate/pb"
	"github.com/planrun/planrun/fate/sample"
)

const sampleMigrate = `{"job_parameters": {}, "role": {"guest": [9999], "host": [10000], "arbiter": [10000]},
 "execute_party": {"guest": [9999], "host": [10000], "arbiter": [10000]}, "migrate_initiator": {"role": "guest", "party_id": 99},
 "migrate_role": {"guest": [99], "host": [100], "arbiter": [100]},
 "model_id": "arbiter-10000#guest-9999#host-10000#model", "model_version": "202311251200000000000"}`

// Models with every converter module, checkpoints and .json twins, in
// three layouts: planrun leaves no old id anywhere; --compat fate leaves
// exactly what FATE leaves, and drops checkpoint/ and define/proto/.
func TestMigrateSampleModels(t *testing.T) {
	cfg := mustConfig(t, sampleMigrate)
	for _, fv := range []string{"1.11.2", "1.8.0", "1.6.1"} {
		res, err := sample.Write(t.TempDir(), sample.Options{FATEVersion: fv, Checkpoints: true,
			Components: []string{sample.DataTransform, sample.HeteroFeatureBinning, sample.HeteroFeatureSelection, sample.HeteroSecureBoost, sample.HeteroPearson}})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range res.Parties {
			t.Run(fv+"/"+p.Party.String(), func(t *testing.T) {
				r, err := Migrate(context.Background(), MigrateRequest{Src: p.Dir, OutDir: t.TempDir(), Config: cfg})
				if err != nil {
					t.Fatal(err)
				}
				residue, err := Scan(r.Zip, cfg.Changed())
				if err != nil {
					t.Fatal(err)
				}
				for i, x := range residue {
					if i < 10 {
						t.Errorf("residue: %v", x)
					}
				}
				checkCheckpointHashes(t, r.Zip)

				rf, err := Migrate(context.Background(), MigrateRequest{Src: p.Dir, OutDir: t.TempDir(), Config: cfg, Compat: CompatFATE})
				if err != nil {
					t.Fatal(err)
				}
				names, _ := readZip(t, rf.Zip)
				if !slices.Contains(names, pipelineBuffer+".json") {
					t.Error("--compat fate wrote no Pipeline.json")
				}
				for _, n := range names {
					if strings.HasPrefix(n, "checkpoint/") || strings.HasPrefix(n, "define/proto/") {
						t.Errorf("--compat fate kept %s", n)
					}
				}
				residue, err = Scan(rf.Zip, cfg.Changed())
				if err != nil {
					t.Fatal(err)
				}
				for _, x := range residue {
					// What FATE 1.9+ leaves stale.
					field := strings.ToLower(strings.ReplaceAll(x.Field, "_", ""))
					if !strings.Contains(field, "anonymousnamemapping") && !strings.Contains(field, "transform") &&
						!strings.HasPrefix(x.Field, "runtime_conf_on_party.local.") {
						t.Errorf("--compat fate residue FATE would not leave: %v", x)
					}
				}
			})
		}
	}
}

// checkCheckpointHashes checks every database.yaml sha1 against its buffer.
func checkCheckpointHashes(t *testing.T, zipPath string) {
	t.Helper()
	_, files := readZip(t, zipPath)
	for name, data := range files {
		dir, ok := strings.CutSuffix(name, "/database.yaml")
		if !ok || !strings.HasPrefix(name, "checkpoint/") {
			continue
		}
		var meta checkpointMeta
		if err := yaml.Unmarshal(data, &meta); err != nil {
			t.Fatal(err)
		}
		for model, mm := range meta.Models {
			sum := sha1.Sum(files[dir+"/"+model+".pb"])
			if hex.EncodeToString(sum[:]) != mm.SHA1 {
				t.Errorf("%s: models.%s.sha1 = %s, the buffer's is %x", name, model, mm.SHA1, sum)
			}
		}
	}
}

// A zip whose name says nothing: the party comes from
// runtime_conf_on_party.local.
func TestMigratePartyFromLocal(t *testing.T) {
	dir := t.TempDir()
	res, err := sample.Write(dir, sample.Options{Components: []string{sample.DataTransform}})
	if err != nil {
		t.Fatal(err)
	}
	anon := dir + "/model.zip"
	zipModelDir(t, res.Parties[1].Dir, anon)
	r, err := Migrate(context.Background(), MigrateRequest{Src: anon, OutDir: t.TempDir(), Config: mustConfig(t, sampleMigrate)})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(r.PartyModelID, "host#100#") {
		t.Errorf("party model id = %s, want the host's", r.PartyModelID)
	}
}

// Every converter module: A → B → A gives back buffers equal to the
// original (decoded, maps unordered), checkpoints included.
func TestMigrateSampleRoundTrip(t *testing.T) {
	dir := t.TempDir()
	res, err := sample.Write(dir, sample.Options{Checkpoints: true,
		Components: []string{sample.DataTransform, sample.HeteroFeatureBinning, sample.HeteroFeatureSelection, sample.HeteroSecureBoost, sample.HeteroPearson}})
	if err != nil {
		t.Fatal(err)
	}
	back := mustConfig(t, `{"job_parameters": {}, "role": {"guest": [99], "host": [100], "arbiter": [100]},
	 "execute_party": {"guest": [99], "host": [100], "arbiter": [100]}, "migrate_initiator": {"role": "guest", "party_id": 9999},
	 "migrate_role": {"guest": [9999], "host": [10000], "arbiter": [10000]},
	 "model_id": "arbiter-100#guest-99#host-100#model", "model_version": "202311251200000000000"}`)
	for _, p := range res.Parties {
		t.Run(p.Party.String(), func(t *testing.T) {
			there, err := Migrate(context.Background(), MigrateRequest{Src: p.Dir, OutDir: t.TempDir(), Config: mustConfig(t, sampleMigrate)})
			if err != nil {
				t.Fatal(err)
			}
			again, err := Migrate(context.Background(), MigrateRequest{Src: there.Zip, OutDir: t.TempDir(), Config: back})
			if err != nil {
				t.Fatal(err)
			}
			orig, err := OpenModel(p.Dir, ZipLimits{})
			if err != nil {
				t.Fatal(err)
			}
			defer orig.Close()
			_, files := readZip(t, again.Zip)
			buffers := 0
			for _, md := range orig.Define.Models {
				for _, b := range md.Buffers {
					path := orig.BufferPath(md, b.Name)
					want, _ := orig.ReadFile(path)
					assertSameMessage(t, path, b.Proto, want, files[path])
					buffers++
				}
			}
			for _, f := range orig.Files() {
				if strings.HasPrefix(f, "checkpoint/") && strings.HasSuffix(f, ".pb") {
					want, _ := orig.ReadFile(f)
					class := strings.TrimSuffix(f[strings.LastIndex(f, "/")+1:], ".pb")
					class = map[bool]string{true: "BoostingTreeModelParam", false: "BoostingTreeModelMeta"}[strings.HasSuffix(class, "Param")]
					assertSameMessage(t, f, class, want, files[f])
					buffers++
				}
			}
			if buffers == 0 {
				t.Fatal("no buffer compared")
			}
		})
	}
}

func assertSameMessage(t *testing.T, path, class string, want, got []byte) {
	t.Helper()
	mt := messageType(class)
	if mt == nil {
		t.Fatalf("%s: no message type %s", path, class)
	}
	x, y := mt.New().Interface(), mt.New().Interface()
	if err := unmarshalBuffer(want, x); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if err := unmarshalBuffer(got, y); err != nil {
		t.Fatalf("%s after the round trip: %v", path, err)
	}
	if !proto.Equal(x, y) {
		t.Errorf("%s differs after the round trip", path)
	}
}

// TestMigrateWhoseModel: the pipeline's runtime_conf_on_party.local says
// whose model it is. A model in a directory without the party in its name,
// migrated as another party's, is refused; so is one whose name says
// another role than its pipeline (a host's model copied under the
// guest's name). Without a party asked, the pipeline's is taken.
func TestMigrateWhoseModel(t *testing.T) {
	cfg := mustConfig(t, sampleMigrate)
	res, err := sample.Write(t.TempDir(), sample.Options{FATEVersion: "1.11.2", Components: []string{sample.DataTransform}})
	if err != nil {
		t.Fatal(err)
	}
	dirOf := map[string]string{}
	for _, p := range res.Parties {
		dirOf[p.Party.String()] = p.Dir
	}
	plain := filepath.Join(t.TempDir(), "fetched", "202311251200000000000")
	if err := os.CopyFS(plain, os.DirFS(dirOf["guest:9999"])); err != nil {
		t.Fatal(err)
	}
	misnamed := filepath.Join(t.TempDir(), "guest#9999#arbiter-10000#guest-9999#host-10000#model", "202311251200000000000")
	if err := os.CopyFS(misnamed, os.DirFS(dirOf["host:10000"])); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, src, role string
		pid             int64
		want            string // error substring, "" for success
	}{
		{"plain dir, right party", plain, "guest", 9999, ""},
		{"plain dir, no party: the pipeline's", plain, "", 0, ""},
		{"plain dir, another role", plain, "host", 10000, "party host:10000 asked for, but the model is guest:9999's (its pipeline's runtime_conf_on_party.local)"},
		{"plain dir, another id", plain, "guest", 10000, "party guest:10000 asked for, but the model is guest:9999's"},
		{"named as the guest's, a host's inside", misnamed, "", 0, "party guest:9999 asked for, but the model is host:10000's (its pipeline's"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Migrate(context.Background(), MigrateRequest{Src: tc.src, OutDir: t.TempDir(), Config: cfg, Role: tc.role, PartyID: tc.pid})
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("migrate: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("migrate: %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestScanForOtherConfig: verifying with a config of another model is an
// error, not "clean" (none of its ids would be found); the model's own
// config finds the source's old ids and passes the migrated model.
func TestScanForOtherConfig(t *testing.T) {
	cfg := mustConfig(t, sampleMigrate)
	res, err := sample.Write(t.TempDir(), sample.Options{FATEVersion: "1.11.2", Components: []string{sample.DataTransform}})
	if err != nil {
		t.Fatal(err)
	}
	src := res.Parties[0].Dir
	other := mustConfig(t, strings.NewReplacer("9999", "1", "10000", "2").Replace(sampleMigrate))
	if _, err := ScanFor(src, other); err == nil || !strings.Contains(err.Error(), "the config is not this model's") {
		t.Fatalf("scan with another model's config: %v, want it refused", err)
	}
	if found, err := ScanFor(src, cfg); err != nil || len(found) == 0 {
		t.Fatalf("scan of the source with its config: %d found, %v; want its old ids", len(found), err)
	}
	r, err := Migrate(context.Background(), MigrateRequest{Src: src, OutDir: t.TempDir(), Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	if found, err := ScanFor(r.Zip, cfg); err != nil || len(found) != 0 {
		t.Fatalf("scan of the migrated model: %d found, %v; want clean", len(found), err)
	}
}

// TestMigrateLaterFieldsAt150: a pipeline that says fate_version 1.5.0
// but holds initiator and runtime_conf_on_party fields (the sampler writes
// them; FATE's test skips them at 1.5.0) has them rewritten too: the
// migrated model scans clean.
func TestMigrateLaterFieldsAt150(t *testing.T) {
	cfg := mustConfig(t, sampleMigrate)
	res, err := sample.Write(t.TempDir(), sample.Options{FATEVersion: "1.5.0", Components: []string{sample.DataTransform}})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Parties {
		r, err := Migrate(context.Background(), MigrateRequest{Src: p.Dir, OutDir: t.TempDir(), Config: cfg})
		if err != nil {
			t.Fatal(err)
		}
		found, err := ScanFor(r.Zip, cfg)
		if err != nil {
			t.Fatal(err)
		}
		for i, x := range found {
			if i < 5 {
				t.Errorf("%s: residue %v", p.Party, x)
			}
		}
	}
}

// TestMigrateParentInfo: a deployed model's parent_info names the model
// it was deployed from by the old model id. planrun points it at the new
// model id (the migrated model then scans clean); --compat fate leaves it,
// as FATE does.
func TestMigrateParentInfo(t *testing.T) {
	cfg := mustConfig(t, sampleMigrate)
	res, err := sample.Write(t.TempDir(), sample.Options{FATEVersion: "1.11.2", Components: []string{sample.DataTransform}})
	if err != nil {
		t.Fatal(err)
	}
	dir := res.Parties[0].Dir
	file := filepath.Join(dir, filepath.FromSlash(pipelineBuffer))
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var pl pb.Pipeline
	if err := proto.Unmarshal(data, &pl); err != nil {
		t.Fatal(err)
	}
	const oldInfo = `{"parent_model_id": "arbiter-10000#guest-9999#host-10000#model", "parent_model_version": "202311251100000000000"}`
	pl.ParentInfo, pl.Parent = []byte(oldInfo), false
	if data, err = proto.Marshal(&pl); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		compat   Compat
		want     string
		residues int
	}{
		{"planrun", CompatPlanrun, `{"parent_model_id": "arbiter-100#guest-99#host-100#model", "parent_model_version": "202311251100000000000"}`, 0},
		{"fate", CompatFATE, oldInfo, -1},
	} {
		r, err := Migrate(context.Background(), MigrateRequest{Src: dir, OutDir: t.TempDir(), Config: cfg, Compat: tc.compat})
		if err != nil {
			t.Fatal(err)
		}
		m, err := OpenModel(r.Zip, DefaultZipLimits)
		if err != nil {
			t.Fatal(err)
		}
		got := string(m.Pipeline.ParentInfo)
		m.Close()
		if got != tc.want {
			t.Errorf("compat %s: parent_info = %s, want %s", tc.name, got, tc.want)
		}
		found, err := ScanFor(r.Zip, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if tc.residues == 0 && len(found) != 0 {
			t.Errorf("compat %s: %d old ids left, first %v", tc.name, len(found), found[0])
		}
	}
}

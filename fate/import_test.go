package fate

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/planrun/planrun/fate/pb"
)

// A model migrated by FATE 1.5–1.8 keeps stale roles and
// runtime_conf_on_party; FATE 1.9+'s import fixes them from
// train_runtime_conf. The test builds such an archive by hand.
func TestImportFixUps(t *testing.T) {
	dir := t.TempDir()
	src := testModel{fateVersion: "1.8.0", dslVersion: 2, jsonTwins: true}.write(t, dir, "guest", 9999)
	// What 1.8 leaves: train_runtime_conf rewritten, roles and
	// runtime_conf_on_party not.
	m, err := OpenModel(src, ZipLimits{})
	if err != nil {
		t.Fatal(err)
	}
	p := proto.Clone(m.Pipeline).(*pb.Pipeline)
	m.Close()
	p.TrainRuntimeConf = []byte(wantTRC2)
	p.ModelId, p.ModelVersion = newModelID, "v2"
	p.InitiatorRole, p.InitiatorPartyId = "guest", 99
	for _, f := range []string{pipelineBuffer, pipelinePBPath} {
		if err := os.WriteFile(filepath.Join(src, f), mustMarshal(t, p), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	zipPath := filepath.Join(dir, "guest#99#"+newModelID+"_v2.zip")
	zipModelDir(t, src, zipPath)
	cache := filepath.Join(dir, "model_local_cache")

	req := ImportRequest{Zip: zipPath, CacheDir: cache, Role: "guest", PartyID: 99}
	res, err := Import(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	wantDir := filepath.Join(cache, "guest#99#"+newModelID, "v2")
	if res.Dir != wantDir || res.ModelID != newModelID || res.ModelVersion != "v2" || res.PartyModelID != "guest#99#"+newModelID {
		t.Errorf("result = %+v", res)
	}
	got, err := OpenModel(res.Dir, ZipLimits{})
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	gp := got.Pipeline
	if string(gp.Roles) != wantRoles {
		t.Errorf("roles = %s, want %s", gp.Roles, wantRoles)
	}
	if string(gp.RuntimeConfOnParty) != wantRCOP {
		t.Errorf("runtime_conf_on_party:\n got %s\nwant %s", gp.RuntimeConfOnParty, wantRCOP)
	}
	if string(gp.TrainRuntimeConf) != wantTRC2 {
		t.Error("train_runtime_conf changed")
	}
	pbFile, _ := got.ReadFile(pipelinePBPath)
	buf, _ := got.ReadFile(pipelineBuffer)
	if string(pbFile) != string(buf) {
		t.Error("pipeline.pb not patched like the Pipeline buffer")
	}
	twin, _ := got.ReadFile(pipelineBuffer + ".json")
	if string(twin) != string(dictJSON(gp.ProtoReflect())) {
		t.Error("Pipeline.json does not match the patched pipeline")
	}
	if residue, err := Scan(res.Dir, map[string][]int64{"guest": {9999}, "host": {10000}, "arbiter": {10000}}); err != nil {
		t.Fatal(err)
	} else {
		// Only the components this hand-made archive never migrated.
		for _, r := range residue {
			if !strings.HasPrefix(r.File, "variables/data/data_transform_0/") {
				t.Errorf("residue outside the unmigrated component: %v", r)
			}
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(wantDir))
	if len(entries) != 1 {
		t.Errorf("temporary directories left behind: %v", entries)
	}

	// An existing target is refused unless forced.
	if _, err := Import(context.Background(), req); err == nil ||
		!strings.Contains(err.Error(), "Model guest#99#"+newModelID+" v2 local cache already existed.") {
		t.Errorf("second import: %v", err)
	}
	req.Force = true
	if _, err := Import(context.Background(), req); err != nil {
		t.Errorf("forced import: %v", err)
	}
	// The party must be in train_runtime_conf.role (FATE's message).
	req.PartyID = 9999
	_, err = Import(context.Background(), req)
	if want := `Party id "9999" is not in role "guest", please check if the party id and role is valid.`; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("wrong party: %v, want %q", err, want)
	}
	// A wrong hash is refused.
	req.PartyID, req.SHA256 = 99, strings.Repeat("0", 64)
	if _, err := Import(context.Background(), req); err == nil || !strings.Contains(err.Error(), "hash mismatch") {
		t.Errorf("wrong hash: %v", err)
	}
}

// A planrun-migrated archive imports with the ids of its import_model.json.
func TestImportMigrated(t *testing.T) {
	dir := t.TempDir()
	src := testModel{fateVersion: "1.11.4", dslVersion: 2, jsonTwins: true}.write(t, dir, "host", 10000)
	res, err := Migrate(context.Background(), MigrateRequest{Src: src, OutDir: dir, Config: mustConfig(t, testMigrate)})
	if err != nil {
		t.Fatal(err)
	}
	cache := filepath.Join(dir, "cache")
	ir, err := Import(context.Background(), ImportRequest{Zip: res.Zip, CacheDir: cache, SHA256: res.SHA256})
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(cache, "host#100#"+newModelID, "v2"); ir.Dir != want {
		t.Errorf("dir = %s, want %s", ir.Dir, want)
	}
	if residue, err := Scan(ir.Dir, mustConfig(t, testMigrate).Changed()); err != nil || len(residue) > 0 {
		t.Errorf("residue after import: %v %v", residue, err)
	}
}

func TestImportRefusesTraversal(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "evil.zip")
	writeTestZip(t, p, [][2]string{{"pipeline.pb", ""}, {"../evil", "x"}})
	cache := filepath.Join(dir, "cache")
	_, err := Import(context.Background(), ImportRequest{Zip: p, CacheDir: cache, Role: "guest", PartyID: 1, ModelID: "m", ModelVersion: "v"})
	if err == nil || !strings.Contains(err.Error(), "path traversal") {
		t.Fatalf("error = %v", err)
	}
	if _, err := os.Stat(cache); !os.IsNotExist(err) {
		t.Error("something was written")
	}
	if _, err := os.Stat(filepath.Join(dir, "evil")); !os.IsNotExist(err) {
		t.Error("the traversal entry was written")
	}
}

func TestOutputModes(t *testing.T) {
	dir := t.TempDir()
	src := testModel{fateVersion: "1.11.4", dslVersion: 2}.write(t, dir, "guest", 9999)
	res, err := Migrate(context.Background(), MigrateRequest{Src: src, OutDir: filepath.Join(dir, "out"), Config: mustConfig(t, testMigrate)})
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(res.Zip); err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("archive mode = %v, %v; want 0644", st.Mode(), err)
	}
	ir, err := Import(context.Background(), ImportRequest{Zip: res.Zip, CacheDir: filepath.Join(dir, "cache")})
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(ir.Dir); err != nil || st.Mode().Perm() != 0o755 {
		t.Errorf("model directory mode = %v, %v; want 0755", st.Mode(), err)
	}
}

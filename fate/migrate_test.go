package fate

import (
	"archive/zip"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"

	"github.com/planrun/planrun/fate/pb"
)

const fixtureMigrate = `{"job_parameters": {"federated_mode": "SINGLE"},
 "role": {"guest": [9999], "arbiter": [10000], "host": [10000]},
 "execute_party": {"guest": [9999], "arbiter": [10000], "host": [10000]},
 "migrate_initiator": {"role": "guest", "party_id": 99},
 "migrate_role": {"guest": [99], "arbiter": [100], "host": [100]},
 "model_id": "arbiter-10000#guest-9999#host-10000#model", "model_version": "2020080416153238910324"}`

func mustConfig(t testing.TB, doc string) *MigrateConfig {
	t.Helper()
	c, err := ParseMigrateConfig([]byte(doc), "migrate_model.json")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// readZip returns every entry of an archive by name (directories with nil).
func readZip(t testing.TB, p string) (names []string, files map[string][]byte) {
	t.Helper()
	r, err := zip.OpenReader(p)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	files = map[string][]byte{}
	for _, f := range r.File {
		names = append(names, f.Name)
		if strings.HasSuffix(f.Name, "/") {
			if f.Method != zip.Store {
				t.Errorf("directory %s: method %d, want stored", f.Name, f.Method)
			}
			continue
		}
		if f.Method != zip.Deflate {
			t.Errorf("%s: method %d, want deflate", f.Name, f.Method)
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("read %s: %v", f.Name, err)
		}
		files[f.Name] = b
	}
	return names, files
}

func TestMigrateFixtureGuest(t *testing.T) {
	src := fixtureParty(t, "guest", "9999")
	before := treeHash(t, fixtureDir(t))
	out := t.TempDir()
	res, err := Migrate(context.Background(), MigrateRequest{Src: src, OutDir: out, Config: mustConfig(t, fixtureMigrate)})
	if err != nil {
		t.Fatal(err)
	}
	if after := treeHash(t, fixtureDir(t)); after != before {
		t.Error("the source model changed")
	}
	wantPMID := "guest#99#arbiter-100#guest-99#host-100#model"
	want := &MigrateResult{ModelID: "arbiter-100#guest-99#host-100#model", PartyModelID: wantPMID,
		ModelVersion: fixtureVersion, Zip: filepath.Join(out, wantPMID+"_"+fixtureVersion+".zip")}
	sum, err := FileSHA256(want.Zip)
	if err != nil {
		t.Fatal(err)
	}
	want.SHA256 = sum
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
	names, files := readZip(t, res.Zip)
	wantNames := []string{"define/", "variables/", "define/define_meta.yaml", "variables/data/",
		"variables/data/dataio_0/", "variables/data/hetero_lr_0/", "variables/data/pipeline/",
		"variables/data/dataio_0/dataio/", "variables/data/dataio_0/dataio/DataIOMeta", "variables/data/dataio_0/dataio/DataIOParam",
		"variables/data/hetero_lr_0/model/", "variables/data/hetero_lr_0/model/HeteroLogisticRegressionMeta",
		"variables/data/hetero_lr_0/model/HeteroLogisticRegressionParam",
		"variables/data/pipeline/pipeline/", "variables/data/pipeline/pipeline/Pipeline"}
	wantNames = append([]string{"define/", "variables/", "import_model.json", "pipeline.pb"}, wantNames[2:]...)
	if diff := cmp.Diff(wantNames, names); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
	// Components without a converter are byte for byte the source.
	for _, f := range []string{"variables/data/dataio_0/dataio/DataIOMeta", "variables/data/hetero_lr_0/model/HeteroLogisticRegressionParam", "define/define_meta.yaml"} {
		orig, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		if string(orig) != string(files[f]) {
			t.Errorf("%s changed", f)
		}
	}
	if string(files["pipeline.pb"]) != string(files[pipelineBuffer]) {
		t.Error("pipeline.pb and the Pipeline buffer differ")
	}
	var p pb.Pipeline
	if err := proto.Unmarshal(files[pipelineBuffer], &p); err != nil {
		t.Fatal(err)
	}
	if p.ModelId != want.ModelID || p.ModelVersion != fixtureVersion || p.FateVersion != "1.4.2" {
		t.Errorf("pipeline ids = %q %q %q", p.ModelId, p.ModelVersion, p.FateVersion)
	}
	if got, want := string(p.Roles), `{"guest": [99], "arbiter": [100], "host": [100]}`; got != want {
		t.Errorf("roles = %s, want %s", got, want)
	}
	if p.InitiatorRole != "" || p.RuntimeConfOnParty != nil {
		t.Error("1.4.2 pipeline got fields FATE only sets above 1.5.0")
	}
	// "file" is the archive's name, not where this run wrote it: the same
	// migration gives the same bytes wherever it runs.
	wantImport := "{\n    \"role\": \"guest\",\n    \"party_id\": 99,\n    \"model_id\": \"arbiter-100#guest-99#host-100#model\",\n" +
		"    \"model_version\": \"2020080416153238910324\",\n    \"file\": \"" + wantPMID + "_" + fixtureVersion + ".zip\"" +
		",\n    \"force_update\": false\n}"
	if got := string(files[importConfigPath]); got != wantImport {
		t.Errorf("import_model.json:\n%s\nwant\n%s", got, wantImport)
	}
	// A second run, into another directory, gives the same archive.
	res2, err := Migrate(context.Background(), MigrateRequest{Src: src, OutDir: t.TempDir(), Config: mustConfig(t, fixtureMigrate)})
	if err != nil {
		t.Fatal(err)
	}
	if res2.SHA256 != res.SHA256 {
		t.Error("a second run wrote a different archive")
	}
}

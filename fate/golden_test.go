package fate

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/planrun/planrun/fate/pb"
)

// updateGolden rewrites the golden files: PLANRUN_UPDATE_GOLDEN=1 go test ./fate
var updateGolden = os.Getenv("PLANRUN_UPDATE_GOLDEN") != ""

// checkGolden compares got with testdata/golden/<name>.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", "golden", name)
	if updateGolden {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("read golden file (PLANRUN_UPDATE_GOLDEN=1 writes it): %v", err)
	}
	if string(want) != string(got) {
		t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// The real FATE 1.4.2 model, migrated: every entry of each archive with
// the sha256 of its content, and the pipeline's fields in full.
func TestMigrateFixtureGolden(t *testing.T) {
	cfg := mustConfig(t, fixtureMigrate)
	for _, p := range []struct{ role, pid string }{{"guest", "9999"}, {"host", "10000"}} {
		t.Run(p.role, func(t *testing.T) {
			out := t.TempDir()
			res, err := Migrate(context.Background(), MigrateRequest{Src: fixtureParty(t, p.role, p.pid), OutDir: out, Config: cfg})
			if err != nil {
				t.Fatal(err)
			}
			names, files := readZip(t, res.Zip)
			var sb strings.Builder
			fmt.Fprintf(&sb, "archive %s\n", filepath.Base(res.Zip))
			for _, n := range names {
				if strings.HasSuffix(n, "/") {
					fmt.Fprintf(&sb, "  %s\n", n)
					continue
				}
				fmt.Fprintf(&sb, "  %s %x\n", n, sha256.Sum256(files[n]))
			}
			var pl pb.Pipeline
			if err := proto.Unmarshal(files[pipelineBuffer], &pl); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&sb, "pipeline\n  fate_version: %s\n  model_id: %s\n  model_version: %s\n  roles: %s\n  initiator: %q %d\n",
				pl.FateVersion, pl.ModelId, pl.ModelVersion, pl.Roles, pl.InitiatorRole, pl.InitiatorPartyId)
			fmt.Fprintf(&sb, "  train_runtime_conf: %s\n  runtime_conf_on_party: %s\n", pl.TrainRuntimeConf, pl.RuntimeConfOnParty)
			fmt.Fprintf(&sb, "import_model.json\n%s\n", files[importConfigPath])
			checkGolden(t, "fixture-"+p.role+".txt", []byte(sb.String()))

			// And into a model_local_cache, as FATE 1.9+'s import would.
			ir, err := Import(context.Background(), ImportRequest{Zip: res.Zip, CacheDir: filepath.Join(out, "cache"), SHA256: res.SHA256})
			if err != nil {
				t.Fatal(err)
			}
			if residue, err := Scan(ir.Dir, cfg.Changed()); err != nil || len(residue) > 0 {
				t.Errorf("imported model: residue %v, %v", residue, err)
			}
		})
	}
}

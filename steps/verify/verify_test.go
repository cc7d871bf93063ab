package verify

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/planrun/planrun/fate"
	"github.com/planrun/planrun/fate/sample"
	"github.com/planrun/planrun/hosts"
	"github.com/planrun/planrun/steps"
)

const migrateJSON = `{"job_parameters": {"federated_mode": "SINGLE"},
 "role": {"guest": [9999], "arbiter": [10000], "host": [10000]},
 "execute_party": {"guest": [9999], "arbiter": [10000], "host": [10000]},
 "migrate_initiator": {"role": "guest", "party_id": 99},
 "migrate_role": {"guest": [99], "arbiter": [100], "host": [100]},
 "model_id": "arbiter-10000#guest-9999#host-10000#model", "model_version": "202311251200000000000"}`

func env(t *testing.T, dir string) *steps.Env {
	t.Helper()
	pool := hosts.NewPool(nil, hosts.PoolOptions{BaseDir: dir})
	t.Cleanup(func() { pool.Close() })
	return &steps.Env{StepID: "verify", BaseDir: dir, WorkDir: filepath.Join(dir, "work"),
		Hosts: pool, Progress: steps.NopProgress{}}
}

// TestVerify scans a model before migration (old ids everywhere: the step
// fails naming them) and the migrated archive (clean: the step succeeds).
func TestVerify(t *testing.T) {
	dir := t.TempDir()
	res, err := sample.Write(filepath.Join(dir, "cache"), sample.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "migrate_model.json"), []byte(migrateJSON), 0o644); err != nil {
		t.Fatal(err)
	}
	mc, err := fate.ParseMigrateConfig([]byte(migrateJSON), "migrate_model.json")
	if err != nil {
		t.Fatal(err)
	}
	var guest string
	for _, p := range res.Parties {
		if p.Role == "guest" {
			guest = p.Dir
		}
	}
	k := New()
	e := env(t, dir)

	_, err = k.Run(context.Background(), e, &Config{Model: guest, ConfigFile: "migrate_model.json"})
	if err == nil || !strings.Contains(err.Error(), "old party ids left") || !strings.Contains(err.Error(), "9999") {
		t.Fatalf("unmigrated model: got %v, want residue naming 9999", err)
	}

	m, err := fate.Migrate(context.Background(), fate.MigrateRequest{Src: guest, OutDir: filepath.Join(dir, "out"),
		Config: mc, Role: "guest", PartyID: 9999})
	if err != nil {
		t.Fatal(err)
	}
	out, err := k.Run(context.Background(), e, &Config{Model: "local:" + m.Zip, ConfigFile: "migrate_model.json"})
	if err != nil {
		t.Fatalf("migrated model: %v", err)
	}
	if out["clean"] != true {
		t.Fatalf("outputs %v", out)
	}
}

func TestValidate(t *testing.T) {
	errs := New().Validate(&Config{})
	if len(errs) != 2 {
		t.Fatalf("want model and config_file required, got %v", errs)
	}
}

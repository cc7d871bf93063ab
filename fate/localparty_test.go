package fate

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/planrun/planrun/fate/sample"
)

// TestMigrateLocalParty: runtime_conf_on_party.local.party_id is the
// party's own id. FATE leaves it stale; planrun rewrites it, and
// reproduces FATE's omission under CompatFATE.
func TestMigrateLocalParty(t *testing.T) {
	dir := t.TempDir()
	res, err := sample.Write(filepath.Join(dir, "cache"), sample.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := ParseMigrateConfig([]byte(`{"job_parameters": {"federated_mode": "SINGLE"},
 "role": {"guest": [9999], "arbiter": [10000], "host": [10000]},
 "execute_party": {"guest": [9999], "arbiter": [10000], "host": [10000]},
 "migrate_initiator": {"role": "guest", "party_id": 99},
 "migrate_role": {"guest": [99], "arbiter": [100], "host": [100]},
 "model_id": "arbiter-10000#guest-9999#host-10000#model", "model_version": "202311251200000000000"}`), "migrate_model.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		compat Compat
		want   string
	}{
		{"planrun", CompatPlanrun, `"local": {"role": "host", "party_id": 100}`},
		{"fate", CompatFATE, `"local": {"role": "host", "party_id": 10000}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var src string
			for _, p := range res.Parties {
				if p.Role == "host" {
					src = p.Dir
				}
			}
			out, err := Migrate(context.Background(), MigrateRequest{Src: src, OutDir: filepath.Join(dir, tc.name),
				Config: cfg, Role: "host", PartyID: 10000, Compat: tc.compat})
			if err != nil {
				t.Fatal(err)
			}
			m, err := OpenModel(out.Zip, DefaultZipLimits)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			if got := string(m.Pipeline.RuntimeConfOnParty); !strings.Contains(got, tc.want) {
				t.Errorf("runtime_conf_on_party = %s\nwant it to contain %s", got, tc.want)
			}
		})
	}
}

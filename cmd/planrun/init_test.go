package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/planrun/planrun/fate"
	"github.com/planrun/planrun/plan"
	"github.com/planrun/planrun/steps/all"
)

// TestInitGolden renders FATE's example configs (testdata/init) into plans,
// compares them with the golden files (PLANRUN_UPDATE_GOLDEN=1 rewrites
// them), and loads each with the plan loader: five steps per target, and a
// sixth, verify, after a native migration.
func TestInitGolden(t *testing.T) {
	cases := map[string]struct {
		config, engine, models string
		targets, items         int
	}{
		"single-flow":   {"migrate_single.json", "flow", "", 3, 1},
		"single-native": {"migrate_single.json", "native", "", 3, 1},
		"multiple-flow": {"migrate_multiple.json", "flow", "", 2, 1},
		"batch-native":  {"migrate_single.json", "native", "models.csv", 3, 2},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("testdata", "init")
			raw, err := os.ReadFile(filepath.Join(dir, tc.config))
			if err != nil {
				t.Fatal(err)
			}
			mc, err := fate.ParseMigrateConfig(raw, tc.config)
			if err != nil {
				t.Fatal(err)
			}
			inv, err := readInventory(filepath.Join(dir, "hosts.yaml"), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			g := &planGen{cfg: mc, inv: inv, engine: tc.engine, now: time.Date(2026, 11, 25, 20, 0, 0, 0, time.UTC),
				configFile: "migrate_model.json"}
			if tc.models != "" {
				if g.models, err = readModels(filepath.Join(dir, tc.models)); err != nil {
					t.Fatal(err)
				}
			}
			doc, err := g.build()
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			enc := yaml.NewEncoder(&buf)
			enc.SetIndent(2)
			if err := enc.Encode(doc); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join(dir, name+".golden.yaml")
			if os.Getenv("PLANRUN_UPDATE_GOLDEN") != "" {
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with PLANRUN_UPDATE_GOLDEN=1 to create it)", err)
			}
			if diff := cmp.Diff(string(want), buf.String()); diff != "" {
				t.Errorf("plan differs from %s (-want +got):\n%s", golden, diff)
			}
			tmp := t.TempDir()
			p := filepath.Join(tmp, "plan.yaml")
			os.WriteFile(p, buf.Bytes(), 0o644)
			os.WriteFile(filepath.Join(tmp, "migrate_model.json"), raw, 0o644)
			loaded, err := plan.Load([]string{p}, plan.Options{Registry: all.Registry()})
			if err != nil {
				t.Fatalf("the written plan does not load: %v", err)
			}
			per := 5
			if tc.engine == "native" {
				per = 6
			}
			if got, want := len(loaded.Steps), per*tc.targets*tc.items; got != want {
				t.Errorf("%d steps, want %d per target per model = %d", got, per, want)
			}
			kinds := map[string]int{}
			for _, s := range loaded.Steps {
				kinds[s.Kind]++
			}
			n := tc.targets * tc.items
			wantKinds := map[string]int{"transfer": 2 * n, "migrate": n, "collect": n, "import": n}
			if tc.engine == "native" {
				wantKinds["verify"] = n
			}
			if diff := cmp.Diff(wantKinds, kinds); diff != "" {
				t.Errorf("kinds (-want +got):\n%s", diff)
			}
		})
	}
}

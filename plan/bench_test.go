package plan

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/planrun/planrun/plan/plantest"
)

// writeBenchPlan writes a plan of items batch items × 5 steps, with the
// items in a CSV file, and returns its path.
func writeBenchPlan(tb testing.TB, items int) string {
	tb.Helper()
	dir := tb.TempDir()
	var csv strings.Builder
	csv.WriteString("model,party,host\n")
	for i := range items {
		fmt.Fprintf(&csv, "model-%05d,%d,box%d\n", i, 9000+i%7, i%4)
	}
	plan := `version: 1
name: bench
vars: {base: /data/projects/fate, version: "202006171904247702041"}
hosts:
  box0: {ssh: app@10.0.0.1}
  box1: {ssh: app@10.0.0.2}
  box2: {ssh: app@10.0.0.3}
  box3: {ssh: app@10.0.0.4}
limits: {net: 8}
defaults: {retry: {attempts: 3, backoff: 1s}, timeout: 10m}
steps:
  - {id: prepare, kind: echo, with: {message: start}}
  - batch: models
    for_each: {file: models.csv, key: model}
    steps:
      - id: fetch
        kind: xfer
        limits: [net]
        with: {from: "${{ item.host }}:${{ vars.base }}/model_local_cache/${{ item.model }}", to: "local:work/${{ item.model }}"}
      - id: migrate
        kind: echo
        with: {message: "${{ steps.fetch.outputs.path }}", count: "${{ item.party }}", opts: {level: 2, mode: fast}, tags: [a, b]}
      - id: zip
        kind: echo
        needs: [prepare]
        with: {message: "${{ steps.migrate.outputs.message }}.zip", host: "${{ item.host }}", wait: 1s}
      - id: ship
        kind: xfer
        limits: [net]
        with: {from: "local:${{ steps.zip.outputs.message }}", to: "${{ item.host }}:/data/import/${{ item.model }}-${{ vars.version }}.zip"}
      - id: import
        kind: echo
        with: {message: "${{ steps.ship.outputs.path }}", count: 1, env: {PARTY: "${{ item.party }}"}}
  - {id: report, kind: echo, needs: [models]}
`
	for name, body := range map[string]string{"plan.yaml": plan, "models.csv": csv.String()} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return filepath.Join(dir, "plan.yaml")
}

func TestBenchPlanLoads(t *testing.T) {
	p, err := Load([]string{writeBenchPlan(t, 20)}, Options{Registry: plantest.Registry(), Getenv: getenv})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(p.Steps), 20*5+2; got != want {
		t.Fatalf("steps = %d, want %d", got, want)
	}
	if _, err := p.Graph().TopoOrder(); err != nil {
		t.Fatal(err)
	}
	if got := p.Steps[len(p.Steps)-1].Needs; len(got) != 100 {
		t.Errorf("report needs %d steps, want 100", len(got))
	}
}

// BenchmarkLoad10k loads, validates and builds the graph of a plan of
// 2,000 batch items × 5 steps read from a CSV file (10,002 steps).
func BenchmarkLoad10k(b *testing.B) {
	path := writeBenchPlan(b, 2000)
	reg := plantest.Registry()
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		p, err := Load([]string{path}, Options{Registry: reg, Getenv: getenv})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := p.Graph().TopoOrder(); err != nil {
			b.Fatal(err)
		}
	}
}

package planbench

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/planrun/planrun/plan"
	"github.com/planrun/planrun/steps/all"
)

// writePlan writes a plan of items batch items × 5 steps of the real
// transfer and exec kinds, with the items in a CSV file.
func writePlan(tb testing.TB, items int) string {
	tb.Helper()
	dir := tb.TempDir()
	var csv strings.Builder
	csv.WriteString("model,party,host,parallel\n")
	for i := range items {
		fmt.Fprintf(&csv, "model-%05d,%d,box%d,%d\n", i, 9000+i%7, i%4, 1+i%8)
	}
	body := `version: 1
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
  - {id: prepare, kind: exec, with: {command: "mkdir -p work"}}
  - batch: models
    for_each: {file: models.csv, key: model}
    steps:
      - id: fetch
        kind: transfer
        limits: [net]
        with: {from: "${{ item.host }}:${{ vars.base }}/model_local_cache/${{ item.model }}", to: "local:work/${{ item.model }}", parallel: "${{ item.parallel }}"}
      - id: migrate
        kind: exec
        with: {command: "migrate", args: ["${{ steps.fetch.outputs.path }}", "${{ item.party }}"], env: {PARTY: "${{ item.party }}"}, timeout: 5m}
      - id: zip
        kind: exec
        needs: [prepare]
        with: {command: "zip -r ${{ steps.migrate.outputs.stdout }}.zip .", dir: "work/${{ item.model }}"}
      - id: ship
        kind: transfer
        limits: [net]
        with: {from: "local:work/${{ item.model }}.zip", to: "${{ item.host }}:/data/import/${{ item.model }}-${{ vars.version }}.zip", exclude: ["*.tmp"]}
      - id: import
        kind: exec
        with: {host: "${{ item.host }}", command: "import ${{ steps.ship.outputs.path }}"}
  - {id: report, kind: exec, needs: [models], with: {command: "echo done"}}
`
	for name, b := range map[string]string{"plan.yaml": body, "models.csv": csv.String()} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(b), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return filepath.Join(dir, "plan.yaml")
}

func TestPlanLoads(t *testing.T) {
	p, err := plan.Load([]string{writePlan(t, 10)}, plan.Options{Registry: all.Registry()})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(p.Steps), 10*5+2; got != want {
		t.Fatalf("steps = %d, want %d", got, want)
	}
}

// BenchmarkLoad10kRealKinds loads, validates and builds the graph of a plan
// of 2,000 batch items × 5 transfer/exec steps read from a CSV file.
func BenchmarkLoad10kRealKinds(b *testing.B) {
	path := writePlan(b, 2000)
	reg := all.Registry()
	b.ReportAllocs()
	start := cpuTime()
	defer func() { b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op") }()
	for b.Loop() {
		p, err := plan.Load([]string{path}, plan.Options{Registry: reg})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := p.Graph().TopoOrder(); err != nil {
			b.Fatal(err)
		}
	}
}

// cpuTime is the user+system time of the test process: on a shared, loaded
// machine wall time measures the neighbours, CPU time measures the loader.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

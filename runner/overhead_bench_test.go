package runner_test

import (
	"context"
	"testing"
	"time"

	"github.com/planrun/planrun/runner"
	"github.com/planrun/planrun/runner/checkpoint"
)

// BenchmarkOverhead runs 100 items x 5 instant steps one at a time
// (--parallel 1) with the durable file store: nothing overlaps, so the
// wall time per step is what the runner itself costs a step (resolve,
// fingerprint, the started and succeeded events with their fsyncs, the
// log, the environment) — the overhead that bench/batch.sh measures
// around real kinds.
func BenchmarkOverhead(b *testing.B) {
	p := batchPlan(100)
	ctx := context.Background()
	var runs time.Duration
	for b.Loop() {
		st, err := checkpoint.OpenFile(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		run, err := st.CreateRun(ctx, "r", p)
		if err != nil {
			b.Fatal(err)
		}
		o := benchOptions(run)
		o.Parallel = 1
		start := time.Now()
		sum, err := runner.Run(ctx, p, o)
		runs += time.Since(start)
		if err != nil || sum.Ok != len(p.Steps) {
			b.Fatalf("run: %v %+v", err, sum)
		}
		run.Close()
	}
	b.ReportMetric(float64(runs.Microseconds())/float64(len(p.Steps)*b.N), "µs/step")
}

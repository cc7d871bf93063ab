package runner_test

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/planrun/planrun/internal/testkinds"
	"github.com/planrun/planrun/plan"
	"github.com/planrun/planrun/runner"
	"github.com/planrun/planrun/runner/checkpoint"
	"github.com/planrun/planrun/steps"
)

// batchPlan is items batch items of a chain of five instant steps.
func batchPlan(items int) *plan.Plan {
	p := &plan.Plan{Version: 1, Name: "bench"}
	for i := range items {
		item := fmt.Sprintf("m%d", i)
		prev := ""
		for _, name := range []string{"copy", "migrate", "collect", "ship", "import"} {
			s := &plan.Step{ID: name + "[" + item + "]", Kind: "instant", Batch: "models", Item: item, Retry: plan.Retry{Attempts: 1},
				With: map[string]any{"outputs": map[string]any{"item": item}}}
			if prev != "" {
				s.Needs = []string{prev}
			}
			p.Steps = append(p.Steps, s)
			prev = s.ID
		}
	}
	p.Hash = p.ComputeHash()
	return p
}

func benchOptions(run checkpoint.Run) runner.Options {
	return runner.Options{Registry: steps.NewRegistry(testkinds.All()...), Run: run, Parallel: 64}
}

// BenchmarkRun10k runs 2,000 items x 5 instant steps with the durable file
// store (fsync per group commit) and --parallel 64.
func BenchmarkRun10k(b *testing.B) {
	p := batchPlan(2000)
	ctx := context.Background()
	cpu0 := cpuTime()
	for b.Loop() {
		st, err := checkpoint.OpenFile(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		run, err := st.CreateRun(ctx, "r", p)
		if err != nil {
			b.Fatal(err)
		}
		sum, err := runner.Run(ctx, p, benchOptions(run))
		if err != nil || sum.Ok != len(p.Steps) {
			b.Fatalf("run: %v %+v", err, sum)
		}
		run.Close()
	}
	b.ReportMetric(float64(len(p.Steps)*b.N)/b.Elapsed().Seconds(), "steps/s")
	// On a shared machine wall time depends on the neighbours; the CPU
	// time planrun itself used is the stable figure.
	b.ReportMetric(float64(len(p.Steps)*b.N)/(cpuTime()-cpu0).Seconds(), "steps/cpu-s")
}

// cpuTime is the user+system CPU time this process used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkResumeFinished10k resumes the finished 10,000-step run: open the
// state, load and fold it, decide that nothing is left to do.
func BenchmarkResumeFinished10k(b *testing.B) {
	p := batchPlan(2000)
	ctx := context.Background()
	dir := b.TempDir()
	st, _ := checkpoint.OpenFile(dir)
	run, _ := st.CreateRun(ctx, "r", p)
	if sum, err := runner.Run(ctx, p, benchOptions(run)); err != nil || sum.Ok != len(p.Steps) {
		b.Fatalf("run: %v %+v", err, sum)
	}
	run.Close()
	cpu0 := cpuTime()
	for b.Loop() {
		st, err := checkpoint.OpenFile(dir)
		if err != nil {
			b.Fatal(err)
		}
		d, err := st.LoadRun(ctx, "r")
		if err != nil {
			b.Fatal(err)
		}
		run, err := st.OpenRun(ctx, "r")
		if err != nil {
			b.Fatal(err)
		}
		o := benchOptions(run)
		o.Prior, o.PriorInRun = checkpoint.Fold(d.Events), true
		sum, err := runner.Run(ctx, d.Plan, o)
		if err != nil || sum.AlreadyDone != len(p.Steps) || sum.Ok != 0 {
			b.Fatalf("resume: %v %+v", err, sum)
		}
		run.Close()
	}
	b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
}

package plan

import (
	"syscall"
	"testing"
	"time"
)

// reportCPU adds a cpu-ns/op metric (user+system time of the whole test
// process per op) to a benchmark: on a shared, loaded machine wall time
// measures the neighbours, CPU time measures the loader.
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() {
		b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

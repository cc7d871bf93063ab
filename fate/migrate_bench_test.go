package fate

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/planrun/planrun/fate/sample"
)

var (
	benchOnce  sync.Once
	benchModel string
	benchRoot  string
	benchErr   error
)

// benchSize is the SecureBoost Param size; PLANRUN_BENCH_MB overrides it.
func benchSize() int64 {
	if s := os.Getenv("PLANRUN_BENCH_MB"); s != "" {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n << 20
		}
	}
	return 200 << 20
}

// BenchmarkMigrateSecureBoost migrates the guest's model of a SecureBoost
// model (fate/sample, FATE 1.11 layout, ~200 MB) and, in the same
// iteration, copies the same directory with `cp -r` and zips it with
// `zip -r` (the floor a plain copy and archive costs). Metrics: seconds
// for each and their ratio (goal: within 1.5). PLANRUN_BENCH_MB sets the
// SecureBoost buffer size; PLANRUN_BENCH_JSON=1 adds the .json twins (the
// 1.7+ layout; they about triple the size).
//
//	go test ./fate -run '^$' -bench MigrateSecureBoost -benchtime 3x
//
// TestMain removes the benchmark's model when the benchmark made one.
func TestMain(m *testing.M) {
	code := m.Run()
	if benchModel != "" {
		os.RemoveAll(benchRoot)
	}
	os.Exit(code)
}

func BenchmarkMigrateSecureBoost(b *testing.B) {
	for _, tool := range []string{"cp", "zip"} {
		if _, err := exec.LookPath(tool); err != nil {
			b.Skipf("%s not installed", tool)
		}
	}
	benchOnce.Do(func() {
		dir, err := os.MkdirTemp("", "planrun-bench-")
		if err != nil {
			benchErr = err
			return
		}
		benchRoot = dir
		res, err := sample.Write(dir, sample.Options{Components: []string{sample.DataTransform, sample.HeteroFeatureBinning, sample.HeteroSecureBoost},
			SizeBytes: benchSize(), NoJSON: os.Getenv("PLANRUN_BENCH_JSON") == ""})
		if err != nil {
			benchErr = err
			return
		}
		benchModel = res.Parties[0].Dir
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	cfg := mustConfig(b, `{"job_parameters": {}, "role": {"guest": [9999], "host": [10000], "arbiter": [10000]},
	 "execute_party": {"guest": [9999]}, "migrate_initiator": {"role": "guest", "party_id": 99},
	 "migrate_role": {"guest": [99], "host": [100], "arbiter": [100]},
	 "model_id": "arbiter-10000#guest-9999#host-10000#model", "model_version": "202311251200000000000"}`)
	var size int64
	filepath.Walk(benchModel, func(_ string, info os.FileInfo, err error) error {
		if err == nil && info.Mode().IsRegular() {
			size += info.Size()
		}
		return nil
	})
	b.SetBytes(size)
	var migrate, floor time.Duration
	var archiveMB, zipMB float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out := b.TempDir()
		t0 := time.Now()
		res, err := Migrate(context.Background(), MigrateRequest{Src: benchModel, OutDir: out, Config: cfg})
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		cp := exec.Command("cp", "-r", benchModel, filepath.Join(out, "copy"))
		if o, err := cp.CombinedOutput(); err != nil {
			b.Fatalf("cp: %v: %s", err, o)
		}
		zip := exec.Command("zip", "-qr", filepath.Join(out, "copy.zip"), ".")
		zip.Dir = filepath.Join(out, "copy")
		if o, err := zip.CombinedOutput(); err != nil {
			b.Fatalf("zip: %v: %s", err, o)
		}
		t2 := time.Now()
		migrate += t1.Sub(t0)
		floor += t2.Sub(t1)
		if st, err := os.Stat(res.Zip); err == nil {
			archiveMB = float64(st.Size()) / (1 << 20)
		}
		if st, err := os.Stat(filepath.Join(out, "copy.zip")); err == nil {
			zipMB = float64(st.Size()) / (1 << 20)
		}
		os.RemoveAll(out)
	}
	b.StopTimer()
	b.ReportMetric(migrate.Seconds()/float64(b.N), "migrate-s")
	b.ReportMetric(floor.Seconds()/float64(b.N), "cp+zip-s")
	b.ReportMetric(migrate.Seconds()/floor.Seconds(), "ratio")
	b.ReportMetric(float64(size)/(1<<20), "model-MB")
	b.ReportMetric(archiveMB, "archive-MB")
	b.ReportMetric(zipMB, "zip-r-MB")
}

package convert_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/planrun/planrun/fate/convert"
	"github.com/planrun/planrun/fate/sample"
)

// sbtModels writes a sample guest SecureBoost model whose Param is about
// size bytes and returns its buffers.
func sbtModels(b *testing.B, size int64) map[string][]byte {
	b.Helper()
	dir := b.TempDir()
	res, err := sample.Write(dir, sample.Options{SizeBytes: size, NoJSON: true, Components: []string{sample.HeteroSecureBoost},
		Parties: []sample.Party{{Role: "guest", ID: 9999}, {Role: "host", ID: 10000}}})
	if err != nil {
		b.Fatal(err)
	}
	models := map[string][]byte{}
	for _, name := range []string{"HeteroSecureBoostingTreeGuestParam", "HeteroSecureBoostingTreeGuestMeta"} {
		data, err := os.ReadFile(filepath.Join(res.Parties[0].Dir, "variables/data/hetero_secureboost_0/model", name))
		if err != nil {
			b.Fatal(err)
		}
		models[name] = data
	}
	return models
}

// BenchmarkConvertSBT50MB rewrites a 50 MB SecureBoost Param (decode,
// every sitename and the tree plan, deterministic re-encode).
func BenchmarkConvertSBT50MB(b *testing.B) {
	models := sbtModels(b, 50<<20)
	m := convert.Mapping{"guest": {9999: 99}, "host": {10000: 100}}
	b.SetBytes(int64(len(models["HeteroSecureBoostingTreeGuestParam"])))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := convert.Convert("HeteroSecureBoost", models, m, convert.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScanSBT50MB scans the same Param for old party ids.
func BenchmarkScanSBT50MB(b *testing.B) {
	models := sbtModels(b, 50<<20)
	old := map[string][]int64{"guest": {9999}, "host": {10000}}
	b.SetBytes(int64(len(models["HeteroSecureBoostingTreeGuestParam"])))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		found, err := convert.Scan("HeteroSecureBoost", models, old)
		if err != nil || len(found) == 0 {
			b.Fatal(err, len(found))
		}
	}
}

// BenchmarkScanWire50MB scans it as a buffer of an unknown module (the
// wire-level walk only).
func BenchmarkScanWire50MB(b *testing.B) {
	models := sbtModels(b, 50<<20)
	old := map[string][]int64{"guest": {9999}, "host": {10000}}
	b.SetBytes(int64(len(models["HeteroSecureBoostingTreeGuestParam"])))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := convert.Scan("SomeModule", models, old); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScanSBT50MBClean scans the migrated Param, where nothing is
// left to find (what verify does).
func BenchmarkScanSBT50MBClean(b *testing.B) {
	models := sbtModels(b, 50<<20)
	out, err := convert.Convert("HeteroSecureBoost", models, convert.Mapping{"guest": {9999: 99}, "host": {10000: 100}}, convert.Options{})
	if err != nil {
		b.Fatal(err)
	}
	old := map[string][]int64{"guest": {9999}, "host": {10000}}
	b.SetBytes(int64(len(out["HeteroSecureBoostingTreeGuestParam"])))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		found, err := convert.Scan("HeteroSecureBoost", out, old)
		if err != nil || len(found) != 0 {
			b.Fatal(err, len(found))
		}
	}
}

package collect_test

import (
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"

	"github.com/planrun/planrun/fate"
	"github.com/planrun/planrun/fate/flow/flowtest"
	"github.com/planrun/planrun/steps/collect"
)

// BenchmarkVerifyZip measures the whole-archive check (central directory,
// every entry read with its CRC-32) on a 64 MiB model zip.
func BenchmarkVerifyZip(b *testing.B) {
	big := make([]byte, 64<<20)
	rand.Read(big)
	zb := flowtest.ZipFiles(flowtest.ModelFiles(flowtest.Model{Role: "guest", PartyID: 99, ModelID: "m", ModelVersion: "1",
		Roles: map[string][]int64{"guest": {99}, "host": {100}}, Initiator: fate.Party{Role: "guest", PartyID: 99},
		Extra: map[string][]byte{"variables/data/tree_0/tree/TreeParam": big}}))
	p := filepath.Join(b.TempDir(), "m.zip")
	if err := os.WriteFile(p, zb, 0o644); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(zb)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := collect.VerifyZip(p, collect.DefaultExpect); err != nil {
			b.Fatal(err)
		}
	}
}

package flow_test

import (
	"context"
	"crypto/rand"
	"testing"

	"github.com/planrun/planrun/fate"
	"github.com/planrun/planrun/fate/flow"
	"github.com/planrun/planrun/fate/flow/flowtest"
)

// BenchmarkImportUpload measures a multipart upload of a 32 MiB model
// archive (incompressible buffer) to the contract server, forced so every
// iteration imports: client encoding + loopback HTTP + the fake's unpack.
func BenchmarkImportUpload(b *testing.B) {
	big := make([]byte, 32<<20)
	rand.Read(big)
	zb := flowtest.ZipFiles(flowtest.ModelFiles(flowtest.Model{Role: "guest", PartyID: 99, ModelID: newModelID,
		ModelVersion: version, Roles: newRoles, Initiator: fate.Party{Role: "guest", PartyID: 99},
		Extra: map[string][]byte{"variables/data/dataio_0/dataio/DataIOParam": big}}))
	srv := flowtest.New(b, flowtest.Options{})
	c, err := flow.New(srv.URL, flow.Options{HTTPClient: srv.Client()})
	if err != nil {
		b.Fatal(err)
	}
	file := b.TempDir() + "/m.zip"
	if err := writeFile(file, zb); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(zb)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := guestImport(file, "")
		r.ForceUpdate = true
		if _, err := c.Import(context.Background(), r); err != nil {
			b.Fatal(err)
		}
	}
}

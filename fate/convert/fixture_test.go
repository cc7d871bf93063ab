package convert

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/planrun/planrun/fate/pb"
	"google.golang.org/protobuf/proto"
)

// The real FATE 1.4.2 buffers (from FATE-Serving's test resources) decode
// with planrun's messages leaving no unknown field, scan without error,
// and are carried over byte for byte (DataIO and HeteroLR have no
// converter).
func TestFixture142(t *testing.T) {
	root := filepath.Join("..", "..", "..", "shared", "fixtures", "fate-serving-1.4.2")
	dirs, _ := filepath.Glob(filepath.Join(root, "*#*", "*", "variables", "data"))
	if len(dirs) == 0 {
		t.Skip("fixture not present")
	}
	for _, dir := range dirs {
		for _, c := range []struct {
			module, alias string
			msgs          map[string]proto.Message
		}{
			{"DataIO", "dataio_0/dataio", map[string]proto.Message{"DataIOMeta": &pb.DataIOMeta{}, "DataIOParam": &pb.DataIOParam{}}},
			{"HeteroLR", "hetero_lr_0/model", map[string]proto.Message{"HeteroLogisticRegressionMeta": &pb.LRModelMeta{}, "HeteroLogisticRegressionParam": &pb.LRModelParam{}}},
		} {
			models := map[string][]byte{}
			for name, msg := range c.msgs {
				b, err := os.ReadFile(filepath.Join(dir, c.alias, name))
				if err != nil {
					t.Fatal(err)
				}
				if err := proto.Unmarshal(b, msg); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if u := msg.ProtoReflect().GetUnknown(); len(u) > 0 {
					t.Errorf("%s/%s: %d bytes of unknown fields", dir, name, len(u))
				}
				models[name] = b
			}
			if _, err := Scan(c.module, models, oldParties); err != nil {
				t.Errorf("%s: Scan: %v", c.module, err)
			}
			out, err := Convert(c.module, models, mapping, Options{})
			if err != nil {
				t.Fatal(err)
			}
			for name := range models {
				sameSlice(t, out[name], models[name], name)
			}
		}
	}
}

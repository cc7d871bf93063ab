package convert

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/planrun/planrun/fate/pb"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
)

// The wire-level SecureBoost rewrite gives the message the plain
// decode-convert-encode path gives, keeps unknown fields inside trees and
// nodes, and is deterministic.
func TestRewriteSBTMatchesDecodePath(t *testing.T) {
	for name, compat := range map[string]bool{"default": false, "fate compat": true} {
		t.Run(name, func(t *testing.T) {
			for _, p := range []*pb.BoostingTreeModelParam{sbtGuest(), sbtHost()} {
				p.Trees_[1].Tree_[0].ProtoReflect().SetUnknown(unknownTail())
				p.Trees_[0].ProtoReflect().SetUnknown(unknownTail())
				b := mustMarshal(t, p)

				r := newReplacer(mapping, Options{FATECompat: compat})
				got, err := rewriteSBT(b, r)
				if err != nil {
					t.Fatal(err)
				}
				want := proto.Clone(p).(*pb.BoostingTreeModelParam)
				if err := convertSBT(want, newReplacer(mapping, Options{FATECompat: compat})); err != nil {
					t.Fatal(err)
				}
				var dec pb.BoostingTreeModelParam
				if err := proto.Unmarshal(got, &dec); err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want, &dec, protocmp.Transform()); diff != "" {
					t.Errorf("wire rewrite differs from the decode path (-decode +wire):\n%s", diff)
				}
				if u := dec.Trees_[1].Tree_[0].ProtoReflect().GetUnknown(); string(u) != string(unknownTail()) {
					t.Errorf("node unknown fields = %x", u)
				}
				again, _ := rewriteSBT(b, newReplacer(mapping, Options{FATECompat: compat}))
				if string(again) != string(got) {
					t.Error("rewrite is not deterministic")
				}
				canon := mustMarshal(t, want)
				if len(canon) != len(got) {
					t.Errorf("rewrite is %d bytes, canonical encoding %d", len(got), len(canon))
				}
			}
		})
	}
}

func TestRewriteSBTMalformedTree(t *testing.T) {
	// trees_ field holding a node field with a bad length.
	b := []byte{0x08, 0x01, 0x12, 0x02, 0x0a, 0x05}
	_, err := Convert("HeteroSecureBoost", map[string][]byte{"P_Param": b, "P_Meta": nil}, mapping, Options{})
	var ce *Error
	if !asErr(err, &ce) || ce.Field != "trees_[0]" {
		t.Fatalf("error = %v, want ErrDecode at trees_[0]", err)
	}
}

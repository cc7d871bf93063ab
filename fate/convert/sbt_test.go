package convert

import (
	"errors"
	"testing"

	"github.com/planrun/planrun/fate/pb"
	"google.golang.org/protobuf/proto"
)

func node(id int32, site string, leaf bool) *pb.NodeParam {
	return &pb.NodeParam{Id: id, Sitename: site, Fid: id % 3, Bid: float64(id) / 2, Weight: 0.25 * float64(id), IsLeaf: leaf, LeftNodeid: 2*id + 1, RightNodeid: 2*id + 2}
}

// sbtGuest is a guest SecureBoost param: three trees with guest and host
// splits, feature importances of guest and both hosts, a mixed tree plan.
func sbtGuest() *pb.BoostingTreeModelParam {
	return &pb.BoostingTreeModelParam{
		TreeNum: 3,
		Trees_: []*pb.DecisionTreeModelParam{
			{Tree_: []*pb.NodeParam{node(0, "guest:9999", false), node(1, "host:10000", false), node(2, "guest:9999", true)}, SplitMaskdict: map[int32]float64{0: 0.5}, LeafCount: map[int32]int32{2: 7}},
			{Tree_: []*pb.NodeParam{node(0, "host:10001", false), node(1, "guest:9999", true), node(2, "guest:9999", true)}},
			{Tree_: []*pb.NodeParam{node(0, "host:10000", false), node(1, "", true)}},
		},
		InitScore: []float64{0.1},
		Losses:    []float64{0.6, 0.5, 0.4},
		TreeDim:   1,
		Classes_:  []string{"0", "1"},
		FeatureImportances: []*pb.FeatureImportanceInfo{
			{Sitename: "guest:9999", Fid: 0, Importance: 3, Fullname: "age"},
			{Sitename: "host:10000", Importance: 2, Fullname: "host_10000_3"},
			{Sitename: "host:10001", Importance: 1, Fullname: "host_10001_x0"},
		},
		FeatureNameFidMapping: map[int32]string{0: "age", 1: "income_level"},
		TreePlan:              []string{"0_-1", "1_10000", "1_10001", "1_555"},
		ModelName:             "HeteroSecureBoost",
	}
}

func sbtGuestWant() *pb.BoostingTreeModelParam {
	p := sbtGuest()
	p.Trees_[0].Tree_[0].Sitename = "guest:99"
	p.Trees_[0].Tree_[1].Sitename = "host:100"
	p.Trees_[0].Tree_[2].Sitename = "guest:99"
	p.Trees_[1].Tree_[0].Sitename = "host:101"
	p.Trees_[1].Tree_[1].Sitename = "guest:99"
	p.Trees_[1].Tree_[2].Sitename = "guest:99"
	p.Trees_[2].Tree_[0].Sitename = "host:100"
	p.FeatureImportances[0].Sitename = "guest:99"
	p.FeatureImportances[1].Sitename = "host:100"
	p.FeatureImportances[1].Fullname = "host_100_3"
	p.FeatureImportances[2].Sitename = "host:101"
	p.FeatureImportances[2].Fullname = "host_101_x0"
	p.TreePlan = []string{"0_-1", "1_100", "1_101", "1_555"}
	return p
}

// sbtHost is a host SecureBoost param: its own splits, guest leaves, and
// the anonymous name mapping FATE leaves stale.
func sbtHost() *pb.BoostingTreeModelParam {
	return &pb.BoostingTreeModelParam{
		TreeNum: 2,
		Trees_: []*pb.DecisionTreeModelParam{
			{Tree_: []*pb.NodeParam{node(0, "host:10000", false), node(1, "guest:9999", true), node(2, "guest:9999", true)}},
			{Tree_: []*pb.NodeParam{node(0, "guest:9999", false), node(1, "host:10000", false)}},
		},
		FeatureImportances:    []*pb.FeatureImportanceInfo{{Sitename: "host:10000", Fid: 0, Importance: 4, Fullname: "x0"}},
		FeatureNameFidMapping: map[int32]string{0: "x0", 1: "x1"},
		AnonymousNameMapping:  map[string]string{"host_10000_x0": "x0", "host_10000_x1": "x1"},
		TreePlan:              []string{"0_-1", "1_10000"},
	}
}

func sbtHostWant(compat bool) *pb.BoostingTreeModelParam {
	p := sbtHost()
	p.Trees_[0].Tree_[0].Sitename = "host:100"
	p.Trees_[0].Tree_[1].Sitename = "guest:99"
	p.Trees_[0].Tree_[2].Sitename = "guest:99"
	p.Trees_[1].Tree_[0].Sitename = "guest:99"
	p.Trees_[1].Tree_[1].Sitename = "host:100"
	p.FeatureImportances[0].Sitename = "host:100"
	p.TreePlan = []string{"0_-1", "1_100"}
	if !compat {
		p.AnonymousNameMapping = map[string]string{"host_100_x0": "x0", "host_100_x1": "x1"}
	}
	return p
}

func TestConvertSBT(t *testing.T) {
	const guestParam, hostParam = "HeteroSecureBoostingTreeGuestParam", "HeteroSecureBoostingTreeHostParam"
	meta := &pb.BoostingTreeModelMeta{NumTrees: 3, LearningRate: 0.3, Module: "HeteroSecureBoost", TreeMeta: &pb.DecisionTreeModelMeta{MaxDepth: 3}}
	with := func(f func(p *pb.BoostingTreeModelParam)) *pb.BoostingTreeModelParam {
		p := sbtGuest()
		f(p)
		return p
	}
	cases := map[string]convCase{
		"guest":             {param: sbtGuest(), want: sbtGuestWant()},
		"guest fate compat": {param: sbtGuest(), want: sbtGuestWant(), opt: Options{FATECompat: true}},
		"host":              {paramName: hostParam, param: sbtHost(), want: sbtHostWant(false)},
		"host fate compat leaves anonymous_name_mapping": {
			paramName: hostParam, param: sbtHost(), want: sbtHostWant(true), opt: Options{FATECompat: true}},
		"fast secureboost": {module: "HeteroFastSecureBoost", param: sbtGuest(), want: sbtGuestWant()},
		"nothing to change": {param: &pb.BoostingTreeModelParam{TreeNum: 1, TreePlan: []string{"0_-1"},
			Trees_: []*pb.DecisionTreeModelParam{{Tree_: []*pb.NodeParam{node(0, "", true)}}}}},
		"unmapped guest": {param: sbtGuest(), m: Mapping{"guest": {1: 2}, "host": mapping["host"]},
			wantErr: ErrUnmapped, wantField: "feature_importances[0].sitename"},
		"non-integer sitename id": {param: with(func(p *pb.BoostingTreeModelParam) { p.Trees_[1].Tree_[2].Sitename = "guest:abc" }),
			wantErr: ErrNotInteger, wantField: "trees_[1].tree_[2].sitename"},
		"unknown role in sitename": {param: with(func(p *pb.BoostingTreeModelParam) { p.Trees_[0].Tree_[1].Sitename = "judge:1" }),
			wantErr: ErrUnknownRole, wantField: "trees_[0].tree_[1].sitename"},
		"two colons": {param: with(func(p *pb.BoostingTreeModelParam) { p.Trees_[0].Tree_[0].Sitename = "guest:9999:1" }),
			wantErr: ErrBadForm, wantField: "trees_[0].tree_[0].sitename"},
		"guest fullname not in the mapping has too few underscores": {
			param:   with(func(p *pb.BoostingTreeModelParam) { p.FeatureImportances[0].Fullname = "age_x" }),
			wantErr: ErrBadForm, wantField: "feature_importances[0].fullname"},
		"anonymous fullname with unmapped host": {
			param:   with(func(p *pb.BoostingTreeModelParam) { p.FeatureImportances[1].Fullname = "host_42_x0" }),
			wantErr: ErrUnmapped, wantField: "feature_importances[1].fullname"},
		"tree plan not an integer": {param: with(func(p *pb.BoostingTreeModelParam) { p.TreePlan[1] = "1_x" }),
			wantErr: ErrNotInteger, wantField: "tree_plan[1]"},
		"tree plan malformed": {param: with(func(p *pb.BoostingTreeModelParam) { p.TreePlan[1] = "1_2_3" }),
			wantErr: ErrBadForm, wantField: "tree_plan[1]"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if c.module == "" {
				c.module = "HeteroSecureBoost"
			}
			if c.paramName == "" {
				c.paramName = guestParam
			}
			c.meta = meta
			runConvCase(t, c)
		})
	}
}

// A non-integer anonymous id is kept, as FATE's migrate_anonymous does.
func TestAnonymousNonIntegerKept(t *testing.T) {
	r := newReplacer(mapping, Options{})
	for in, want := range map[string]string{
		"host_abc_x0":     "host_abc_x0",
		"host_10000_x0_1": "host_100_x0_1",
		"guest_9999_y":    "guest_99_y",
		"arbiter_10000_0": "arbiter_100_0",
		"host_ 10000_x0":  "host_100_x0",
	} {
		got, err := r.anonymous(in)
		if err != nil || got != want {
			t.Errorf("anonymous(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := r.anonymous("judge_1_x"); err == nil {
		t.Error("anonymous with an unknown role: no error")
	}
}

func TestConvertUnknownModuleByteForByte(t *testing.T) {
	models := map[string][]byte{"HeteroLogisticRegressionParam": {0x0a, 0x02, 'h', 'i'}, "HeteroLogisticRegressionMeta": {}}
	out, err := Convert("HeteroLR", models, mapping, Options{})
	if err != nil {
		t.Fatal(err)
	}
	sameSlice(t, out["HeteroLogisticRegressionParam"], models["HeteroLogisticRegressionParam"], "param")
	if len(out) != 2 {
		t.Fatalf("got %d models", len(out))
	}
}

func TestConvertBadBuffers(t *testing.T) {
	good := mustMarshal(t, sbtGuest())
	meta := mustMarshal(t, &pb.BoostingTreeModelMeta{NumTrees: 1})
	cases := map[string]struct {
		models    map[string][]byte
		wantErr   error
		wantModel string
	}{
		"param does not decode": {models: map[string][]byte{"XParam": {0xff, 0xff}, "XMeta": meta}, wantErr: ErrDecode, wantModel: "XParam"},
		"meta does not decode":  {models: map[string][]byte{"XParam": good, "XMeta": {0x0a, 0x05, 1}}, wantErr: ErrDecode, wantModel: "XMeta"},
		"no meta":               {models: map[string][]byte{"XParam": good}, wantErr: ErrMissingModel},
		"two params":            {models: map[string][]byte{"XParam": good, "YParam": good, "XMeta": meta}, wantErr: ErrMissingModel},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Convert("HeteroSecureBoost", c.models, mapping, Options{Component: "hetero_secureboost_0"})
			var ce *Error
			if !errors.Is(err, c.wantErr) || !errors.As(err, &ce) || ce.Model != c.wantModel || ce.Component != "hetero_secureboost_0" {
				t.Fatalf("error = %v (%#v), want %v naming model %q", err, ce, c.wantErr, c.wantModel)
			}
		})
	}
}

// FATE's empty-message filler in a Meta that cannot parse it reads as an
// empty message; an empty Param is carried over.
func TestConvertFillMessage(t *testing.T) {
	models := map[string][]byte{"XParam": fillMessage, "XMeta": fillMessage}
	out, err := Convert("HeteroSecureBoost", models, mapping, Options{})
	if err != nil {
		t.Fatal(err)
	}
	sameSlice(t, out["XParam"], fillMessage, "XParam")
	var p pb.BoostingTreeModelParam
	if proto.Unmarshal(fillMessage, &p) == nil {
		t.Log("fill message parses as BoostingTreeModelParam")
	}
}

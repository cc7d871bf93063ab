package convert

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/planrun/planrun/fate/pb"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

func TestForms(t *testing.T) {
	o := newOldIDs(oldParties)
	cases := map[string]bool{
		"guest:9999":            true,
		"host:10001":            true,
		"arbiter:10000":         true,
		"host_10000_x0":         true,
		"host_10000":            true,
		"host_10000_0_1":        true,
		"(guest,9999)":          true,
		"(host, 10000)":         true,
		"in (host, 10001) here": true,
		"x_host_10000_x1":       true,
		"guest:99":              false,
		"guest:99990":           false,
		"host_100000_x0":        false,
		"host_10000x":           false,
		"ghost:9999":            false,
		"xhost_10000_x0":        false,
		"guest 9999":            false,
		"(guest,  9999)":        false,
		"guest,9999)":           false,
		"arbiter:9999":          false,
		"host_-1":               false,
		"age":                   false,
	}
	for s, want := range cases {
		if got := o.match(s); got != want {
			t.Errorf("match(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestScanDataTransform(t *testing.T) {
	param := &pb.DataTransformParam{Header: []string{"x0", "x1"}, AnonymousHeader: []string{"guest_9999_x0", "guest_99_x1"},
		ImputerParam: &pb.DataTransformImputerParam{MissingReplaceValue: map[string]string{"host_10000_x0": "guest:9999", "b": "0"}}}
	models := map[string][]byte{
		"DataTransformParam": append(mustMarshal(t, param), unknownTail()...),
		"DataTransformMeta":  mustMarshal(t, &pb.DataTransformMeta{LabelName: "(host,10001)"}),
	}
	got, err := Scan("DataTransform", models, oldParties)
	if err != nil {
		t.Fatal(err)
	}
	want := []Finding{
		{Model: "DataTransformMeta", Field: "label_name", Value: "(host,10001)"},
		{Model: "DataTransformParam", Field: "imputer_param.missing_replace_value[host_10000_x0](key)", Value: "host_10000_x0"},
		{Model: "DataTransformParam", Field: "imputer_param.missing_replace_value[host_10000_x0]", Value: "guest:9999"},
		{Model: "DataTransformParam", Field: "anonymous_header[0]", Value: "guest_9999_x0"},
		{Model: "DataTransformParam", Field: "#99", Value: "host:10000"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

func TestScanPlainIDs(t *testing.T) {
	bin := binningGuest()
	sbt := sbtGuest()
	sel := selectionGuest()
	cases := map[string]struct {
		module string
		param  proto.Message
		want   []Finding
	}{
		"binning party ids": {module: "HeteroFeatureBinning", param: &pb.FeatureBinningParam{
			BinningResult:    bin.BinningResult,
			MultiClassResult: &pb.MultiClassResult{HostPartyIds: []string{"10000", "77"}},
		}, want: []Finding{
			{Model: "P_Param", Field: "binning_result.party_id", Value: "9999"},
			{Model: "P_Param", Field: "multi_class_result.host_party_ids[0]", Value: "10000"},
		}},
		"tree plan": {module: "HeteroSecureBoost", param: &pb.BoostingTreeModelParam{TreePlan: sbt.TreePlan}, want: []Finding{
			{Model: "P_Param", Field: "tree_plan[1]", Value: "1_10000"},
			{Model: "P_Param", Field: "tree_plan[2]", Value: "1_10001"},
		}},
		"selection host party id": {module: "HeteroFeatureSelection", param: &pb.FeatureSelectionParam{
			HostColNames: []*pb.HostColNames{{PartyId: "10001", ColNames: []string{"host_10001_x0"}}, sel.HostColNames[0]},
		}, want: []Finding{
			{Model: "P_Param", Field: "host_col_names[0].col_names[0]", Value: "host_10001_x0"},
			{Model: "P_Param", Field: "host_col_names[0].party_id", Value: "10001"},
			{Model: "P_Param", Field: "host_col_names[1].col_names[0]", Value: "host_10000_x0"},
			{Model: "P_Param", Field: "host_col_names[1].col_names[1]", Value: "host_10000_x1"},
			{Model: "P_Param", Field: "host_col_names[1].party_id", Value: "10000"},
		}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := Scan(c.module, map[string][]byte{"P_Param": mustMarshal(t, c.param)}, oldParties)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestScanWire(t *testing.T) {
	inner := func(s string) []byte {
		b := protowire.AppendTag(nil, 1, protowire.VarintType)
		b = protowire.AppendVarint(b, 7)
		b = protowire.AppendTag(b, 5, protowire.BytesType)
		return protowire.AppendString(b, s)
	}
	var buf []byte
	for _, s := range []string{"guest:9999", "age", "(host, 10001)"} {
		buf = protowire.AppendTag(buf, 2, protowire.BytesType)
		buf = protowire.AppendBytes(buf, inner(s))
	}
	buf = protowire.AppendTag(buf, 3, protowire.BytesType)
	buf = protowire.AppendString(buf, "arbiter_10000_model")
	models := map[string][]byte{
		"IntersectParam": buf,
		"Notes":          []byte("trained by host:10000 \xff"),
		"Text":           []byte("trained by host:10000"),
	}
	got, err := Scan("Intersection", models, oldParties)
	if err != nil {
		t.Fatal(err)
	}
	want := []Finding{
		{Model: "IntersectParam", Field: "#2[0].#5", Value: "guest:9999"},
		{Model: "IntersectParam", Field: "#2[2].#5", Value: "(host, 10001)"},
		{Model: "IntersectParam", Field: "#3", Value: "arbiter_10000_model"},
		{Model: "Notes", Field: "", Value: "trained by host:10000 \xff"},
		{Model: "Text", Field: "", Value: "trained by host:10000"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

// Every converter's models scan dirty before migration and clean after;
// under FATE compat the fields FATE forgets are what remains.
func TestScanBeforeAndAfter(t *testing.T) {
	cases := map[string]struct {
		module     string
		param      proto.Message
		compatLeft []string // fields left by FATECompat
	}{
		"sbt guest":       {module: "HeteroSecureBoost", param: sbtGuest()},
		"sbt host":        {module: "HeteroSecureBoost", param: sbtHost(), compatLeft: []string{"anonymous_name_mapping[host_10000_x0](key)", "anonymous_name_mapping[host_10000_x1](key)"}},
		"binning guest":   {module: "HeteroFeatureBinning", param: binningGuest(), compatLeft: []string{"transform_binning_result.party_id", "transform_host_results[0].binning_result[host_10000_x1](key)", "transform_host_results[0].party_id", "transform_multi_class_result.results[0].party_id", "transform_multi_class_result.host_results[0].binning_result[host_10001_x0](key)", "transform_multi_class_result.host_results[0].party_id", "transform_multi_class_result.host_party_ids[0]"}},
		"binning host":    {module: "HeteroFeatureBinning", param: binningHost()},
		"selection guest": {module: "HeteroFeatureSelection", param: selectionGuest()},
		"selection host":  {module: "HeteroFeatureSelection", param: selectionHost()},
		"pearson guest":   {module: "HeteroPearson", param: pearsonGuest()},
		"pearson host":    {module: "HeteroPearson", param: pearsonHost()},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			models := map[string][]byte{"XParam": mustMarshal(t, c.param), "XMeta": {}}
			before, err := Scan(c.module, models, oldParties)
			if err != nil {
				t.Fatal(err)
			}
			if len(before) == 0 {
				t.Fatal("no residue found before migration")
			}
			for _, compat := range []bool{false, true} {
				out, err := Convert(c.module, models, mapping, Options{FATECompat: compat})
				if err != nil {
					t.Fatal(err)
				}
				after, err := Scan(c.module, out, oldParties)
				if err != nil {
					t.Fatal(err)
				}
				var fields []string
				for _, f := range after {
					fields = append(fields, f.Field)
				}
				var want []string
				if compat {
					want = c.compatLeft
				}
				if diff := cmp.Diff(want, fields); diff != "" {
					t.Errorf("compat=%v residue after migration (-want +got):\n%s", compat, diff)
				}
				if again, _ := Scan(c.module, out, newParties); len(again) == 0 {
					t.Errorf("compat=%v: scanning for the new ids finds nothing", compat)
				}
			}
		})
	}
}

func TestScanBadBuffer(t *testing.T) {
	_, err := Scan("HeteroPearson", map[string][]byte{"HeteroPearsonModelParam": {0x0a, 0x09}}, oldParties)
	var ce *Error
	if !errors.Is(err, ErrDecode) || !errors.As(err, &ce) || ce.Model != "HeteroPearsonModelParam" {
		t.Fatalf("error = %v, want ErrDecode naming the model", err)
	}
}

func TestNewMessage(t *testing.T) {
	for _, c := range []struct{ module, model, want string }{
		{"HeteroSecureBoost", "HeteroSecureBoostingTreeHostParam", "BoostingTreeModelParam"},
		{"HeteroFastSecureBoost", "HeteroFastSecureBoostingTreeGuestMeta", "BoostingTreeModelMeta"},
		{"DataIO", "DataIOMeta", "DataIOMeta"},
		{"HeteroLR", "HeteroLogisticRegressionParam", "LRModelParam"},
		{"HeteroPearson", "HeteroPearsonModelParam", "PearsonModelParam"},
	} {
		m, ok := NewMessage(c.module, c.model)
		if !ok || string(m.ProtoReflect().Descriptor().Name()) != c.want {
			t.Errorf("NewMessage(%s, %s) = %v, %v; want %s", c.module, c.model, m, ok, c.want)
		}
	}
	if _, ok := NewMessage("Intersection", "IntersectParam"); ok {
		t.Error("NewMessage for a module without definitions")
	}
}

// Unknown fields deep inside a known message are walked at the wire level
// under the named path; FATE's empty-message filler is no error.
func TestScanNestedUnknownAndFiller(t *testing.T) {
	p := &pb.BoostingTreeModelParam{Trees_: []*pb.DecisionTreeModelParam{{}, {Tree_: []*pb.NodeParam{{Sitename: "guest:99"}}}}}
	p.Trees_[1].Tree_[0].ProtoReflect().SetUnknown(unknownTail())
	models := map[string][]byte{"HeteroSecureBoostingTreeGuestParam": mustMarshal(t, p), "HeteroSecureBoostingTreeGuestMeta": fillMessage}
	got, err := Scan("HeteroSecureBoost", models, oldParties)
	if err != nil {
		t.Fatal(err)
	}
	want := []Finding{{Model: "HeteroSecureBoostingTreeGuestParam", Field: "trees_[1].tree_[0].#99", Value: "host:10000"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

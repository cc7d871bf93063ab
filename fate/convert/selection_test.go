package convert

import (
	"testing"

	"github.com/planrun/planrun/fate/pb"
)

func selectionGuest() *pb.FeatureSelectionParam {
	filter := func(name string) *pb.FeatureSelectionFilterParam {
		return &pb.FeatureSelectionFilterParam{
			FilterName:    name,
			FeatureValues: map[string]float64{"age": 0.3, "income": 0.1},
			LeftCols:      &pb.LeftCols{OriginalCols: []string{"age", "income"}, LeftCols: map[string]bool{"age": true, "income": false}},
			HostFeatureValues: []*pb.FeatureValue{
				{FeatureValues: map[string]float64{"host_10000_x0": 0.2, "host_10000_x1": 0.05}},
				{FeatureValues: map[string]float64{"host_10001_x0": 0.4}},
			},
			HostLeftCols: []*pb.LeftCols{
				{OriginalCols: []string{"host_10000_x0", "host_10000_x1"}, LeftCols: map[string]bool{"host_10000_x0": true, "host_10000_x1": false}},
				{OriginalCols: []string{"host_10001_x0"}, LeftCols: map[string]bool{"host_10001_x0": true}},
			},
		}
	}
	return &pb.FeatureSelectionParam{
		Results:             []*pb.FeatureSelectionFilterParam{filter("iv_filter"), filter("statistic_filter")},
		FinalLeftCols:       &pb.LeftCols{OriginalCols: []string{"age", "income"}, LeftCols: map[string]bool{"age": true, "income": false}},
		ColNames:            []string{"age", "income"},
		HostColNames:        []*pb.HostColNames{{PartyId: "10000", ColNames: []string{"host_10000_x0", "host_10000_x1"}}, {PartyId: "10001", ColNames: []string{"host_10001_x0"}}},
		Header:              []string{"age", "income"},
		ColNameToAnonymDict: map[string]string{"age": "guest_9999_x0", "income": "guest_9999_x1"},
	}
}

func selectionGuestWant() *pb.FeatureSelectionParam {
	p := selectionGuest()
	for _, r := range p.Results {
		r.HostFeatureValues[0].FeatureValues = map[string]float64{"host_100_x0": 0.2, "host_100_x1": 0.05}
		r.HostFeatureValues[1].FeatureValues = map[string]float64{"host_101_x0": 0.4}
		r.HostLeftCols[0] = &pb.LeftCols{OriginalCols: []string{"host_100_x0", "host_100_x1"}, LeftCols: map[string]bool{"host_100_x0": true, "host_100_x1": false}}
		r.HostLeftCols[1] = &pb.LeftCols{OriginalCols: []string{"host_101_x0"}, LeftCols: map[string]bool{"host_101_x0": true}}
	}
	p.HostColNames = []*pb.HostColNames{{PartyId: "100", ColNames: []string{"host_100_x0", "host_100_x1"}}, {PartyId: "101", ColNames: []string{"host_101_x0"}}}
	p.ColNameToAnonymDict = map[string]string{"age": "guest_99_x0", "income": "guest_99_x1"}
	return p
}

func selectionHost() *pb.FeatureSelectionParam {
	return &pb.FeatureSelectionParam{
		Results: []*pb.FeatureSelectionFilterParam{{
			FilterName: "iv_filter", FeatureValues: map[string]float64{"x0": 0.2, "x1": 0.05},
			LeftCols: &pb.LeftCols{OriginalCols: []string{"x0", "x1"}, LeftCols: map[string]bool{"x0": true, "x1": false}},
		}},
		FinalLeftCols:       &pb.LeftCols{OriginalCols: []string{"x0", "x1"}, LeftCols: map[string]bool{"x0": true, "x1": false}},
		ColNames:            []string{"x0", "x1"},
		Header:              []string{"x0", "x1"},
		ColNameToAnonymDict: map[string]string{"x0": "host_10000_x0", "x1": "host_10000_x1"},
	}
}

func TestConvertSelection(t *testing.T) {
	meta := &pb.FeatureSelectionMeta{FilterMethods: []string{"iv_filter"}, Cols: []string{"age"}, NeedRun: true}
	hostWant := selectionHost()
	hostWant.ColNameToAnonymDict = map[string]string{"x0": "host_100_x0", "x1": "host_100_x1"}
	with := func(f func(p *pb.FeatureSelectionParam)) *pb.FeatureSelectionParam {
		p := selectionGuest()
		f(p)
		return p
	}
	cases := map[string]convCase{
		"guest":             {param: selectionGuest(), want: selectionGuestWant()},
		"guest fate compat": {param: selectionGuest(), want: selectionGuestWant(), opt: Options{FATECompat: true}},
		"host":              {param: selectionHost(), want: hostWant},
		"unmapped host": {param: selectionGuest(), m: Mapping{"guest": {9999: 99}, "host": {10001: 101}},
			wantErr: ErrUnmapped, wantField: "host_col_names[0].party_id"},
		"host party id not an integer": {param: with(func(p *pb.FeatureSelectionParam) { p.HostColNames[1].PartyId = "h" }),
			wantErr: ErrNotInteger, wantField: "host_col_names[1].party_id"},
		"bad host column": {param: with(func(p *pb.FeatureSelectionParam) { p.HostColNames[1].ColNames[0] = "x0" }),
			wantErr: ErrBadForm, wantField: "host_col_names[1].col_names[0]"},
		"unmapped host in feature values": {param: with(func(p *pb.FeatureSelectionParam) {
			p.Results[1].HostFeatureValues[0].FeatureValues["host_3_x9"] = 1
		}), wantErr: ErrUnmapped, wantField: "results[1].host_feature_values[0].feature_values[host_3_x9](key)"},
		"bad left col": {param: with(func(p *pb.FeatureSelectionParam) { p.Results[0].HostLeftCols[1].OriginalCols[0] = "judge_1_x" }),
			wantErr: ErrUnknownRole, wantField: "results[0].host_left_cols[1].original_cols[0]"},
		"bad anonym value": {param: with(func(p *pb.FeatureSelectionParam) { p.ColNameToAnonymDict["age"] = "age" }),
			wantErr: ErrBadForm, wantField: "col_name_to_anonym_dict[age]"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			c.module, c.paramName, c.meta = "HeteroFeatureSelection", "FeatureSelectionParam", meta
			runConvCase(t, c)
		})
	}
}

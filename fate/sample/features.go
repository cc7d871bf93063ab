package sample

import (
	"math/rand/v2"

	"github.com/planrun/planrun/fate/pb"
)

// dataTransform builds DataTransform (or, before 1.7, DataIO).
func (w *world) dataTransform(p Party, name string) component {
	header := w.header(p)
	withLabel := p.Role == "guest"
	label := ""
	if withLabel {
		label = "y"
	}
	params := obj{{"input_format", "dense"}, {"delimitor", ","}, {"data_type", "float64"}, {"with_label", withLabel}, {"label_name", "y"}, {"label_type", "int"}, {"output_format", "dense"}}
	if w.minor < 7 {
		return component{name: name, module: DataIO, alias: "dataio", params: params, buffers: []buffer{
			{name: "DataIOMeta", class: "DataIOMeta", msg: &pb.DataIOMeta{InputFormat: "dense", Delimitor: ",", DataType: "float64", WithLabel: withLabel, LabelName: "y", LabelType: "int", OutputFormat: "dense", NeedRun: true,
				ImputerMeta: &pb.ImputerMeta{Strategy: "fixed"}, OutlierMeta: &pb.OutlierMeta{Strategy: "fixed"}}},
			{name: "DataIOParam", class: "DataIOParam", msg: &pb.DataIOParam{Header: header, SidName: "id", LabelName: label,
				ImputerParam: &pb.ImputerParam{}, OutlierParam: &pb.OutlierParam{}}},
		}}
	}
	var anon []string
	if w.minor >= 9 { // anonymous_header arrived with FATE 1.9
		anon = w.anonHeader(p)
	}
	return component{name: name, module: DataTransform, alias: "model", params: params, buffers: []buffer{
		{name: "DataTransformMeta", class: "DataTransformMeta", msg: &pb.DataTransformMeta{InputFormat: "dense", Delimitor: ",", DataType: "float64", WithLabel: withLabel, LabelName: "y", LabelType: "int", OutputFormat: "dense", NeedRun: true,
			ImputerMeta: &pb.DataTransformImputerMeta{Strategy: "fixed"}, OutlierMeta: &pb.DataTransformOutlierMeta{Strategy: "fixed"}}},
		{name: "DataTransformParam", class: "DataTransformParam", msg: &pb.DataTransformParam{Header: header, SidName: "id", LabelName: label,
			ImputerParam: &pb.DataTransformImputerParam{}, OutlierParam: &pb.DataTransformOutlierParam{}, AnonymousHeader: anon}},
	}}
}

// ivParam is one column's binning statistics with bins bins.
func ivParam(rng *rand.Rand, bins int) *pb.IVParam {
	v := &pb.IVParam{BinNums: int64(bins), IsWoeMonotonic: rng.IntN(2) == 0}
	total := 0.0
	for i := 0; i < bins; i++ {
		woe := round(rng.NormFloat64(), 6)
		iv := round(rng.Float64()/20, 6)
		ev, nev := int64(5+rng.IntN(60)), int64(5+rng.IntN(60))
		v.WoeArray = append(v.WoeArray, woe)
		v.IvArray = append(v.IvArray, iv)
		v.EventCountArray = append(v.EventCountArray, ev)
		v.NonEventCountArray = append(v.NonEventCountArray, nev)
		v.EventRateArray = append(v.EventRateArray, round(float64(ev)/569, 6))
		v.NonEventRateArray = append(v.NonEventRateArray, round(float64(nev)/569, 6))
		v.SplitPoints = append(v.SplitPoints, round(float64(i)*0.37+rng.Float64()/10, 6))
		total += iv
	}
	v.Iv = round(total, 6)
	return v
}

// binningResult is one party's results, keyed by names.
func binningResult(rng *rand.Rand, role, id string, names []string) *pb.FeatureBinningResult {
	r := &pb.FeatureBinningResult{Role: role, PartyId: id, BinningResult: map[string]*pb.IVParam{}}
	for _, n := range names {
		r.BinningResult[n] = ivParam(rng, 10)
	}
	return r
}

// binning builds HeteroFeatureBinning: the guest holds every host's results
// keyed by the host's anonymous columns.
func (w *world) binning(p Party, name string) component {
	rng := w.rng(p, name)
	header := w.header(p)
	own := binningResult(rng, p.Role, pid(p), header)
	param := &pb.FeatureBinningParam{BinningResult: own, Header: header, HeaderAnonymous: w.anonHeader(p), ModelName: "binning_model",
		MultiClassResult: &pb.MultiClassResult{Results: []*pb.FeatureBinningResult{own}}}
	if p.Role == "guest" {
		param.MultiClassResult.Labels = []string{"0", "1"}
		for _, h := range w.hosts {
			hr := binningResult(rng, "host", pid(h), w.anonHeader(h))
			param.HostResults = append(param.HostResults, hr)
			param.MultiClassResult.HostResults = append(param.MultiClassResult.HostResults, hr)
			param.MultiClassResult.HostPartyIds = append(param.MultiClassResult.HostPartyIds, pid(h))
		}
		param.MultiClassResult.HasHostResult = len(w.hosts) > 0
	}
	cols := make([]int64, len(header))
	for i := range cols {
		cols[i] = int64(i)
	}
	meta := &pb.FeatureBinningMeta{NeedRun: true, Method: "quantile", CompressThres: 10000, HeadSize: 10000, Error: 0.001, BinNum: 10,
		Cols: header, AdjustmentFactor: 0.5, TransformParam: &pb.TransformMeta{TransformCols: cols, TransformType: "bin_num"}, SkipStatic: false}
	return component{name: name, module: HeteroFeatureBinning, alias: "model",
		params:  obj{{"method", "quantile"}, {"compress_thres", 10000}, {"head_size", 10000}, {"error", 0.001}, {"bin_num", 10}, {"bin_indexes", -1}, {"adjustment_factor", 0.5}, {"local_only", false}, {"transform_param", obj{{"transform_cols", -1}, {"transform_type", "bin_num"}}}},
		buffers: []buffer{{name: "FeatureBinningMeta", class: "FeatureBinningMeta", msg: meta}, {name: "FeatureBinningParam", class: "FeatureBinningParam", msg: param}}}
}

// selection builds HeteroFeatureSelection with an IV filter: the guest
// holds each host's values and kept columns by anonymous name.
func (w *world) selection(p Party, name string) component {
	rng := w.rng(p, name)
	header := w.header(p)
	values := func(names []string) (map[string]float64, *pb.LeftCols) {
		fv := map[string]float64{}
		lc := &pb.LeftCols{OriginalCols: names, LeftCols: map[string]bool{}}
		for _, n := range names {
			v := round(rng.Float64(), 6)
			fv[n] = v
			lc.LeftCols[n] = v >= 0.1
		}
		return fv, lc
	}
	fv, lc := values(header)
	res := &pb.FeatureSelectionFilterParam{FeatureValues: fv, LeftCols: lc, FilterName: "iv_filter"}
	param := &pb.FeatureSelectionParam{Results: []*pb.FeatureSelectionFilterParam{res}, FinalLeftCols: lc, ColNames: header, Header: header,
		ColNameToAnonymDict: map[string]string{}}
	for i, n := range header {
		if w.minor >= 9 { // col_name_to_anonym_dict arrived with FATE 1.9
			param.ColNameToAnonymDict[n] = w.anon(p, i)
		}
	}
	if p.Role == "guest" {
		for _, h := range w.hosts {
			anon := w.anonHeader(h)
			hfv, hlc := values(anon)
			res.HostFeatureValues = append(res.HostFeatureValues, &pb.FeatureValue{FeatureValues: hfv})
			res.HostLeftCols = append(res.HostLeftCols, hlc)
			param.HostColNames = append(param.HostColNames, &pb.HostColNames{PartyId: pid(h), ColNames: anon})
		}
	}
	meta := &pb.FeatureSelectionMeta{FilterMethods: []string{"iv_filter"}, Cols: header, NeedRun: true,
		FilterMetas: []*pb.FilterMeta{{Metrics: "iv", FilterType: "threshold", TakeHigh: true, Threshold: 0.1, SelectFederated: true}}}
	return component{name: name, module: HeteroFeatureSelection, alias: "model",
		params:  obj{{"select_col_indexes", -1}, {"filter_methods", []any{"iv_filter"}}, {"iv_param", obj{{"metrics", []any{"iv"}}, {"filter_type", []any{"threshold"}}, {"threshold", []any{0.1}}}}},
		buffers: []buffer{{name: "FeatureSelectionMeta", class: "FeatureSelectionMeta", msg: meta}, {name: "FeatureSelectionParam", class: "FeatureSelectionParam", msg: param}}}
}

// pearson builds HeteroPearson between the guest and the hosts.
func (w *world) pearson(p Party, name string) component {
	rng := w.rng(p, name)
	tuple := func(q Party) string { return "(" + q.Role + "," + pid(q) + ")" }
	param := &pb.PearsonModelParam{Party: tuple(p), Shape: int32(w.features(p)), Names: w.header(p), ModelName: "HeteroPearson"}
	all := append([]Party{w.guest}, w.hosts...)
	n := w.features(p)
	for i := 0; i < n*n; i++ {
		param.LocalCorr = append(param.LocalCorr, round(rng.Float64()*2-1, 6))
	}
	var total int
	for _, q := range all {
		param.Parties = append(param.Parties, tuple(q))
		param.Shapes = append(param.Shapes, int32(w.features(q)))
		names := w.header(q)
		if q != p {
			names = w.anonHeader(q)
		}
		param.AllNames = append(param.AllNames, &pb.Names{Names: names})
		total += w.features(q)
	}
	for i := 0; i < n*total; i++ {
		param.Corr = append(param.Corr, round(rng.Float64()*2-1, 6))
	}
	for i, h := range w.header(p) {
		param.AnonymousMap = append(param.AnonymousMap, &pb.AnonymousMap{Anonymous: w.anon(p, i), Name: h})
	}
	return component{name: name, module: HeteroPearson, alias: "model",
		params: obj{{"column_indexes", -1}, {"cross_parties", true}, {"calc_local_vif", false}},
		buffers: []buffer{{name: "HeteroPearsonModelMeta", class: "PearsonModelMeta", msg: &pb.PearsonModelMeta{Shapes: param.Shapes}},
			{name: "HeteroPearsonModelParam", class: "PearsonModelParam", msg: param}}}
}

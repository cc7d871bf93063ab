package sample

import (
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/planrun/planrun/fate/pb"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// secureboost builds HeteroSecureBoost with the "mix" boosting strategy
// (FATE 1.9+'s HeteroSecureBoost runs fast SecureBoost this way): trees
// alternate between guest-only and each host's features, as the tree_plan
// says. The Param is written straight to the wire, canonical field order.
func (w *world) secureboost(p Party, name string) component {
	rng := w.rng(p, name)
	plan := w.treePlan()
	// The fields after the trees grow with the tree count (tree_plan,
	// losses); estimate them with a throwaway generator.
	est := w.rng(p, name+"/estimate")
	base := len(mustMarshal(w.sbtRest(p, est, plan, 0)))
	per := float64(len(mustMarshal(w.sbtRest(p, est, plan, 64)))-base) / 64
	trees, n := w.trees(p, rng, plan, base, per)
	head := mustMarshal(&pb.BoostingTreeModelParam{TreeNum: int32(n)})
	tail := mustMarshal(w.sbtRest(p, rng, plan, n))
	role := "Guest"
	if p.Role == "host" {
		role = "Host"
	}
	meta := &pb.BoostingTreeModelMeta{
		TreeMeta: &pb.DecisionTreeModelMeta{CriterionMeta: &pb.CriterionMeta{CriterionMethod: "xgboost", CriterionParam: []float64{0.1, 0, 10}},
			MaxDepth: int32(w.o.TreeDepth), MinSampleSplit: 2, MinLeafNode: 1, MinImpuritySplit: 0.001},
		NumTrees: int32(n), QuantileMeta: &pb.QuantileMeta{BinNum: 32}, Module: HeteroSecureBoost, BoostingStrategy: "mix",
	}
	if p.Role == "guest" {
		meta.LearningRate, meta.TaskType, meta.NIterNoChange, meta.Tol = 0.3, "classification", true, 0.0001
		meta.ObjectiveMeta = &pb.ObjectiveMeta{Objective: "cross_entropy"}
		meta.QuantileMeta.QuantileMethod = "bin_by_sample_data"
	}
	model := "HeteroSecureBoostingTree" + role
	return component{name: name, module: HeteroSecureBoost, alias: "model",
		params:  obj{{"task_type", "classification"}, {"learning_rate", 0.3}, {"num_trees", n}, {"boosting_strategy", "mix"}, {"tree_param", obj{{"max_depth", w.o.TreeDepth}}}},
		buffers: []buffer{{name: model + "Meta", class: "BoostingTreeModelMeta", msg: meta}, {name: model + "Param", class: "BoostingTreeModelParam", parts: [][]byte{head, trees, tail}}}}
}

// planEntry is one tree's plan: mode 0 (guest features) with host -1, or
// mode 1 with a host.
type planEntry struct {
	mode int
	host Party
}

// treePlan is the repeating round of FATE's create_tree_plan for "mix".
func (w *world) treePlan() []planEntry {
	round := []planEntry{{mode: 0, host: Party{ID: -1}}}
	for _, h := range w.hosts {
		round = append(round, planEntry{mode: 1, host: h})
	}
	return round
}

// trees encodes trees (field 2) until the Param (base bytes of other
// fields plus per bytes a tree) reaches the target size; 8 trees when
// there is no target.
func (w *world) trees(p Party, rng *rand.Rand, plan []planEntry, base int, per float64) ([]byte, int) {
	target := w.o.SizeBytes
	var out []byte
	if target > 0 {
		out = make([]byte, 0, target+1<<16)
	}
	var tree []byte
	n := 0
	size := func() int64 { return int64(len(out)+base+16) + int64(per*float64(n)) }
	for ; target > 0 && size() < target || target == 0 && n < 8; n++ {
		tree = w.tree(tree[:0], p, rng, plan[n%len(plan)])
		out = protowire.AppendTag(out, 2, protowire.BytesType)
		out = protowire.AppendBytes(out, tree)
	}
	return out, n
}

// tree encodes one full tree of the configured depth. Split nodes belong to
// the guest or to the plan's host; leaves are the guest's. A party stores
// fid/bid only for its own splits, the host's also in split_maskdict.
func (w *world) tree(b []byte, p Party, rng *rand.Rand, e planEntry) []byte {
	owner := w.guest
	if e.mode == 1 {
		owner = e.host
	}
	split := owner.Role + ":" + pid(owner)
	leaf := "guest:" + pid(w.guest)
	nodes := 1<<(w.o.TreeDepth+1) - 1
	inner := 1<<w.o.TreeDepth - 1
	var node []byte
	var masks [][2]float64
	for id := 0; id < nodes; id++ {
		node = node[:0]
		node = appendVarint(node, 1, uint64(id))
		if id < inner {
			node = appendString(node, 2, split)
			if owner == p {
				fid := rng.IntN(w.features(owner))
				bid := round(rng.Float64()*4-1, 6)
				node = appendVarint(node, 3, uint64(fid))
				node = appendDouble(node, 4, bid)
				if p.Role == "host" {
					masks = append(masks, [2]float64{float64(id), bid})
				}
			}
			node = appendVarint(node, 7, uint64(2*id+1))
			node = appendVarint(node, 8, uint64(2*id+2))
			node = appendVarint(node, 9, uint64(int64(1-2*rng.IntN(2))))
		} else {
			node = appendString(node, 2, leaf)
			if p.Role == "guest" {
				node = appendDouble(node, 5, round(rng.NormFloat64()/3, 8))
			}
			node = appendVarint(node, 6, 1)
			node = appendVarint(node, 7, uint64(math.MaxUint64)) // -1
			node = appendVarint(node, 8, uint64(math.MaxUint64))
		}
		b = protowire.AppendTag(b, 1, protowire.BytesType)
		b = protowire.AppendBytes(b, node)
	}
	for _, m := range masks {
		var entry []byte
		entry = appendVarint(entry, 1, uint64(m[0]))
		entry = appendDouble(entry, 2, m[1])
		b = protowire.AppendTag(b, 2, protowire.BytesType)
		b = protowire.AppendBytes(b, entry)
	}
	return b
}

// sbtRest is every Param field after the trees.
func (w *world) sbtRest(p Party, rng *rand.Rand, plan []planEntry, n int) *pb.BoostingTreeModelParam {
	param := &pb.BoostingTreeModelParam{TreeDim: 1, ModelName: "hetero_fast_sbt_mix", BestIteration: -1,
		FeatureNameFidMapping: map[int32]string{}}
	for i, h := range w.header(p) {
		param.FeatureNameFidMapping[int32(i)] = h
	}
	for i := 0; i < n; i++ {
		e := plan[i%len(plan)]
		param.TreePlan = append(param.TreePlan, strconv.Itoa(e.mode)+"_"+strconv.FormatInt(e.host.ID, 10))
	}
	imp := func(site Party, fid int, full string, keepFid bool) *pb.FeatureImportanceInfo {
		fi := &pb.FeatureImportanceInfo{Sitename: site.Role + ":" + pid(site), Importance: float64(1 + rng.IntN(40)),
			Fullname: full, Importance2: round(rng.Float64()*10, 6), Main: "split"}
		if keepFid {
			fi.Fid = int32(fid)
		}
		return fi
	}
	if p.Role == "guest" {
		param.InitScore = []float64{round(rng.Float64()-0.5, 8)}
		for i := 0; i < n; i++ {
			param.Losses = append(param.Losses, round(0.69*math.Exp(-float64(i)/float64(n+1)), 8))
		}
		param.Classes_ = []string{"0", "1"}
		param.NumClasses = 2
		for i, h := range w.header(p) {
			param.FeatureImportances = append(param.FeatureImportances, imp(p, i, h, true))
		}
		for _, h := range w.hosts {
			for i := 0; i < w.features(h); i += 3 {
				// FATE names a host feature sitename + "_" + fid, sitename "host_<id>".
				param.FeatureImportances = append(param.FeatureImportances, imp(h, i, "host_"+pid(h)+"_"+strconv.Itoa(i), false))
			}
		}
		return param
	}
	param.AnonymousNameMapping = map[string]string{}
	for i, h := range w.header(p) {
		if w.minor >= 9 { // written by FATE 1.9+ hosts
			param.AnonymousNameMapping[w.anon(p, i)] = h
		}
		param.FeatureImportances = append(param.FeatureImportances, imp(p, i, h, true))
	}
	return param
}

func appendVarint(b []byte, num protowire.Number, v uint64) []byte {
	if v == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func appendDouble(b []byte, num protowire.Number, v float64) []byte {
	if v == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.Fixed64Type)
	return protowire.AppendFixed64(b, math.Float64bits(v))
}

func appendString(b []byte, num protowire.Number, s string) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func mustMarshal(m proto.Message) []byte {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		panic("sample: marshal " + string(m.ProtoReflect().Descriptor().Name()) + ": " + err.Error())
	}
	return b
}

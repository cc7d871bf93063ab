package convert

import (
	"fmt"

	"github.com/planrun/planrun/fate/pb"
	"google.golang.org/protobuf/proto"
)

// binningConverter is FATE's FeatureBinningConverter (HeteroFeatureBinning).
var binningConverter = &converter{
	param:   func() proto.Message { return new(pb.FeatureBinningParam) },
	meta:    func() proto.Message { return new(pb.FeatureBinningMeta) },
	convert: func(m proto.Message, r *replacer) error { return convertBinning(m.(*pb.FeatureBinningParam), r) },
}

// convertBinning rewrites header_anonymous (migrate_anonymous),
// binning_result.party_id and host_results[].party_id (by their role),
// host_results[].binning_result keys (migrate_anonymous),
// multi_class_result.host_party_ids (host mapping, must be mapped) and
// multi_class_result.results[].party_id and .host_results the same way.
// Beyond FATE, the transform_* fields (7–9) get the same treatment. Host
// results whose keys do not change are kept (FATE 1.11 drops them).
func convertBinning(p *pb.FeatureBinningParam, r *replacer) error {
	for i, col := range p.HeaderAnonymous {
		v, err := r.anonymous(col)
		if err != nil {
			return atField(err, fmt.Sprintf("header_anonymous[%d]", i), col)
		}
		r.set(&p.HeaderAnonymous[i], v)
	}
	if err := r.binningResult(p.BinningResult, "binning_result", false); err != nil {
		return err
	}
	if err := r.binningResults(p.HostResults, "host_results", true); err != nil {
		return err
	}
	if err := r.multiClass(p.MultiClassResult, "multi_class_result"); err != nil {
		return err
	}
	if r.compat {
		return nil
	}
	if err := r.binningResult(p.TransformBinningResult, "transform_binning_result", false); err != nil {
		return err
	}
	if err := r.binningResults(p.TransformHostResults, "transform_host_results", true); err != nil {
		return err
	}
	return r.multiClass(p.TransformMultiClassResult, "transform_multi_class_result")
}

func (r *replacer) multiClass(mc *pb.MultiClassResult, field string) error {
	if mc == nil {
		return nil
	}
	for i, id := range mc.HostPartyIds {
		v, err := r.strict(id, "host")
		if err != nil {
			return atField(err, fmt.Sprintf("%s.host_party_ids[%d]", field, i), id)
		}
		r.set(&mc.HostPartyIds[i], v)
	}
	if err := r.binningResults(mc.Results, field+".results", false); err != nil {
		return err
	}
	return r.binningResults(mc.HostResults, field+".host_results", true)
}

func (r *replacer) binningResults(rs []*pb.FeatureBinningResult, field string, keys bool) error {
	for i, res := range rs {
		if err := r.binningResult(res, fmt.Sprintf("%s[%d]", field, i), keys); err != nil {
			return err
		}
	}
	return nil
}

// binningResult rewrites party_id by role (FATE migrate_binning_result:
// only when role and party_id are both set; guest and host only) and, for
// host results, the anonymous column names keying binning_result.
func (r *replacer) binningResult(res *pb.FeatureBinningResult, field string, keys bool) error {
	if res == nil {
		return nil
	}
	if res.Role != "" && res.PartyId != "" {
		if res.Role != "guest" && res.Role != "host" {
			return atField(fmt.Errorf("%w %q in binning migration", ErrUnknownRole, res.Role), field+".role", res.Role)
		}
		v, err := r.strict(res.PartyId, res.Role)
		if err != nil {
			return atField(err, field+".party_id", res.PartyId)
		}
		r.set(&res.PartyId, v)
	}
	if !keys {
		return nil
	}
	m, changed, err := rekey(res.BinningResult, field+".binning_result", r.anonymous)
	if err != nil {
		return err
	}
	if changed {
		res.BinningResult = m
		r.changed = true
	}
	return nil
}

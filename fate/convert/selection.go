package convert

import (
	"fmt"

	"github.com/planrun/planrun/fate/pb"
	"google.golang.org/protobuf/proto"
)

// selectionConverter is FATE's HeteroFeatureSelectionConverter.
var selectionConverter = &converter{
	param:   func() proto.Message { return new(pb.FeatureSelectionParam) },
	meta:    func() proto.Message { return new(pb.FeatureSelectionMeta) },
	convert: func(m proto.Message, r *replacer) error { return convertSelection(m.(*pb.FeatureSelectionParam), r) },
}

// convertSelection rewrites host_col_names[].party_id (host mapping, must
// be mapped) and .col_names, results[].host_feature_values[] keys,
// results[].host_left_cols[].original_cols and .left_cols keys, and
// col_name_to_anonym_dict values, all anonymous names by migrate_anonymous.
// FATE rebuilds the result messages; planrun edits them in place, which
// gives the same fields and keeps unknown ones.
func convertSelection(p *pb.FeatureSelectionParam, r *replacer) error {
	for i, h := range p.HostColNames {
		v, err := r.strict(h.PartyId, "host")
		if err != nil {
			return atField(err, fmt.Sprintf("host_col_names[%d].party_id", i), h.PartyId)
		}
		r.set(&h.PartyId, v)
		for j, col := range h.ColNames {
			v, err := r.anonymous(col)
			if err != nil {
				return atField(err, fmt.Sprintf("host_col_names[%d].col_names[%d]", i, j), col)
			}
			r.set(&h.ColNames[j], v)
		}
	}
	for i, res := range p.Results {
		for j, fv := range res.HostFeatureValues {
			m, changed, err := rekey(fv.FeatureValues, fmt.Sprintf("results[%d].host_feature_values[%d].feature_values", i, j), r.anonymous)
			if err != nil {
				return err
			}
			if changed {
				fv.FeatureValues, r.changed = m, true
			}
		}
		for j, lc := range res.HostLeftCols {
			for k, col := range lc.OriginalCols {
				v, err := r.anonymous(col)
				if err != nil {
					return atField(err, fmt.Sprintf("results[%d].host_left_cols[%d].original_cols[%d]", i, j, k), col)
				}
				r.set(&lc.OriginalCols[k], v)
			}
			m, changed, err := rekey(lc.LeftCols, fmt.Sprintf("results[%d].host_left_cols[%d].left_cols", i, j), r.anonymous)
			if err != nil {
				return err
			}
			if changed {
				lc.LeftCols, r.changed = m, true
			}
		}
	}
	for _, k := range sortedKeys(p.ColNameToAnonymDict) {
		old := p.ColNameToAnonymDict[k]
		v, err := r.anonymous(old)
		if err != nil {
			return atField(err, fmt.Sprintf("col_name_to_anonym_dict[%s]", k), old)
		}
		if v != old {
			p.ColNameToAnonymDict[k], r.changed = v, true
		}
	}
	return nil
}

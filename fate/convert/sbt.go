package convert

import (
	"fmt"
	"strings"

	"github.com/planrun/planrun/fate/pb"
	"google.golang.org/protobuf/proto"
)

// sbtConverter is FATE's HeteroSBTConverter (HeteroSecureBoost and
// HeteroFastSecureBoost).
var sbtConverter = &converter{
	param:   func() proto.Message { return new(pb.BoostingTreeModelParam) },
	meta:    func() proto.Message { return new(pb.BoostingTreeModelMeta) },
	convert: func(m proto.Message, r *replacer) error { return convertSBT(m.(*pb.BoostingTreeModelParam), r) },
	rewrite: rewriteSBT,
}

// convertSBT rewrites feature_importances[].sitename (replace) and
// .fullname (migrate_anonymous, unless it is one of the party's own feature
// names in feature_name_fid_mapping), trees_[].tree_[].sitename (replace),
// tree_plan "mode_pid" (host id, pid -1 left alone, unmapped ids kept) and,
// beyond FATE, anonymous_name_mapping keys and values.
func convertSBT(p *pb.BoostingTreeModelParam, r *replacer) error {
	own := make(map[string]bool, len(p.FeatureNameFidMapping))
	for _, name := range p.FeatureNameFidMapping {
		own[name] = true
	}
	for i, fi := range p.FeatureImportances {
		v, err := r.replace(fi.Sitename)
		if err != nil {
			return atField(err, fmt.Sprintf("feature_importances[%d].sitename", i), fi.Sitename)
		}
		r.set(&fi.Sitename, v)
		if own[fi.Fullname] {
			continue
		}
		v, err = r.anonymous(fi.Fullname)
		if err != nil {
			return atField(err, fmt.Sprintf("feature_importances[%d].fullname", i), fi.Fullname)
		}
		r.set(&fi.Fullname, v)
	}
	for i, tree := range p.Trees_ {
		for j, node := range tree.Tree_ {
			v, err := r.replace(node.Sitename)
			if err != nil {
				return atField(err, fmt.Sprintf("trees_[%d].tree_[%d].sitename", i, j), node.Sitename)
			}
			r.set(&node.Sitename, v)
		}
	}
	for i, s := range p.TreePlan {
		v, err := r.treePlan(s)
		if err != nil {
			return atField(err, fmt.Sprintf("tree_plan[%d]", i), s)
		}
		r.set(&p.TreePlan[i], v)
	}
	if r.compat {
		return nil
	}
	for k, v := range p.AnonymousNameMapping {
		if nv := r.loose(v); nv != v {
			p.AnonymousNameMapping[k] = nv
			r.changed = true
		}
	}
	m, changed, err := rekey(p.AnonymousNameMapping, "anonymous_name_mapping", func(k string) (string, error) { return r.loose(k), nil })
	if err != nil {
		return err
	}
	if changed {
		p.AnonymousNameMapping = m
		r.changed = true
	}
	return nil
}

// treePlan rewrites one "mode_pid" entry: exactly one '_', an integer pid;
// -1 stays as written, other ids go through the host mapping (kept when
// unmapped).
func (r *replacer) treePlan(s string) (string, error) {
	mode, pidText, ok := strings.Cut(s, "_")
	if !ok || strings.Contains(pidText, "_") {
		return "", fmt.Errorf("%w: want mode_partyid", ErrBadForm)
	}
	pid, ok := pyInt(pidText)
	if !ok {
		return "", fmt.Errorf("%w: %q", ErrNotInteger, pidText)
	}
	if pid == -1 {
		return s, nil
	}
	np, err := r.plain(pidText, "host")
	if err != nil {
		return "", err
	}
	return mode + "_" + np, nil
}

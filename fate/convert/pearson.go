package convert

import (
	"fmt"

	"github.com/planrun/planrun/fate/pb"
	"google.golang.org/protobuf/proto"
)

// pearsonConverter is FATE's HeteroPearsonConverter.
var pearsonConverter = &converter{
	param:   func() proto.Message { return new(pb.PearsonModelParam) },
	meta:    func() proto.Message { return new(pb.PearsonModelMeta) },
	convert: func(m proto.Message, r *replacer) error { return convertPearson(m.(*pb.PearsonModelParam), r) },
}

// convertPearson rewrites party and parties[] (tuple form),
// anonymous_map[].anonymous (migrate_anonymous) and all_names[].names[]
// when FATE's is_anonymous holds for the name.
func convertPearson(p *pb.PearsonModelParam, r *replacer) error {
	v, err := r.tuple(p.Party)
	if err != nil {
		return atField(err, "party", p.Party)
	}
	r.set(&p.Party, v)
	for i, s := range p.Parties {
		v, err := r.tuple(s)
		if err != nil {
			return atField(err, fmt.Sprintf("parties[%d]", i), s)
		}
		r.set(&p.Parties[i], v)
	}
	for i, a := range p.AnonymousMap {
		v, err := r.anonymous(a.Anonymous)
		if err != nil {
			return atField(err, fmt.Sprintf("anonymous_map[%d].anonymous", i), a.Anonymous)
		}
		r.set(&a.Anonymous, v)
	}
	for i, n := range p.AllNames {
		for j, name := range n.Names {
			v, err := r.maybeAnonymous(name)
			if err != nil {
				return atField(err, fmt.Sprintf("all_names[%d].names[%d]", i, j), name)
			}
			r.set(&n.Names[j], v)
		}
	}
	return nil
}

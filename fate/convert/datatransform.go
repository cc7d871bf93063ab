package convert

import (
	"fmt"

	"github.com/planrun/planrun/fate/pb"
	"google.golang.org/protobuf/proto"
)

// dataTransformConverter is FATE's DataTransformConverter (1.9+).
var dataTransformConverter = &converter{
	param:   func() proto.Message { return new(pb.DataTransformParam) },
	meta:    func() proto.Message { return new(pb.DataTransformMeta) },
	convert: func(m proto.Message, r *replacer) error { return convertDataTransform(m.(*pb.DataTransformParam), r) },
}

// convertDataTransform rewrites anonymous_header (migrate_anonymous).
func convertDataTransform(p *pb.DataTransformParam, r *replacer) error {
	for i, col := range p.AnonymousHeader {
		v, err := r.anonymous(col)
		if err != nil {
			return atField(err, fmt.Sprintf("anonymous_header[%d]", i), col)
		}
		r.set(&p.AnonymousHeader[i], v)
	}
	return nil
}

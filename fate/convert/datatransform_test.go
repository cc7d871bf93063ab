package convert

import (
	"testing"

	"github.com/planrun/planrun/fate/pb"
)

func TestConvertDataTransform(t *testing.T) {
	meta := &pb.DataTransformMeta{InputFormat: "dense", Delimitor: ",", WithLabel: true, LabelName: "y", NeedRun: true}
	param := func(anon ...string) *pb.DataTransformParam {
		return &pb.DataTransformParam{
			Header: []string{"x0", "x1", "x2"}, SidName: "id", LabelName: "y", AnonymousHeader: anon,
			ImputerParam: &pb.DataTransformImputerParam{MissingReplaceValue: map[string]string{"x0": "0"}},
		}
	}
	cases := map[string]convCase{
		"guest":                      {param: param("guest_9999_x0", "guest_9999_x1", "guest_9999_x2"), want: param("guest_99_x0", "guest_99_x1", "guest_99_x2")},
		"host":                       {param: param("host_10001_x0", "host_10001_x1", "host_10001_x2"), want: param("host_101_x0", "host_101_x1", "host_101_x2")},
		"host compat":                {param: param("host_10000_x0", "host_10000_x1", "host_10000_x2"), want: param("host_100_x0", "host_100_x1", "host_100_x2"), opt: Options{FATECompat: true}},
		"old-style anonymous header": {param: param("host_10000_0", "host_10000_1", "host_10000_2"), want: param("host_100_0", "host_100_1", "host_100_2")},
		"no anonymous header":        {param: param()},
		"unmapped":                   {param: param("guest_1_x0"), wantErr: ErrUnmapped, wantField: "anonymous_header[0]"},
		"too few parts":              {param: param("guest_9999_x0", "guest9999"), wantErr: ErrBadForm, wantField: "anonymous_header[1]"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			c.module, c.paramName, c.meta = "DataTransform", "DataTransformParam", meta
			runConvCase(t, c)
		})
	}
}

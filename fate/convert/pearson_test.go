package convert

import (
	"testing"

	"github.com/planrun/planrun/fate/pb"
)

func pearsonGuest() *pb.PearsonModelParam {
	return &pb.PearsonModelParam{
		Party:        "(guest,9999)",
		Parties:      []string{"(guest,9999)", "(host,10000)"},
		Shape:        2,
		Shapes:       []int32{2, 3},
		Names:        []string{"age", "income"},
		Corr:         []float64{1, 0.2, 0.2, 1},
		AllNames:     []*pb.Names{{Names: []string{"age", "income"}}, {Names: []string{"host_10000_x0", "host_10000_x1", "host_10000_x2"}}},
		AnonymousMap: []*pb.AnonymousMap{{Anonymous: "guest_9999_x0", Name: "age"}, {Anonymous: "guest_9999_x1", Name: "income"}},
		ModelName:    "HeteroPearson",
	}
}

func pearsonGuestWant(compat bool) *pb.PearsonModelParam {
	p := pearsonGuest()
	p.Party, p.Parties = "(guest,99)", []string{"(guest,99)", "(host,100)"}
	if compat {
		p.Party, p.Parties = "(guest, 99)", []string{"(guest, 99)", "(host, 100)"}
	}
	p.AllNames[1].Names = []string{"host_100_x0", "host_100_x1", "host_100_x2"}
	p.AnonymousMap[0].Anonymous, p.AnonymousMap[1].Anonymous = "guest_99_x0", "guest_99_x1"
	return p
}

func pearsonHost() *pb.PearsonModelParam {
	return &pb.PearsonModelParam{
		Party:        "(host,10000)",
		Parties:      []string{"(guest,9999)", "(host,10000)"},
		Shape:        3,
		Names:        []string{"x0", "x1", "x2"},
		AllNames:     []*pb.Names{{Names: []string{"guest_9999_x0", "guest_9999_x1"}}, {Names: []string{"x0", "x1", "x2"}}},
		AnonymousMap: []*pb.AnonymousMap{{Anonymous: "host_10000_x0", Name: "x0"}},
	}
}

func TestConvertPearson(t *testing.T) {
	meta := &pb.PearsonModelMeta{Shapes: []int32{2, 3}}
	hostWant := pearsonHost()
	hostWant.Party, hostWant.Parties = "(host,100)", []string{"(guest,99)", "(host,100)"}
	hostWant.AllNames[0].Names = []string{"guest_99_x0", "guest_99_x1"}
	hostWant.AnonymousMap[0].Anonymous = "host_100_x0"
	with := func(f func(p *pb.PearsonModelParam)) *pb.PearsonModelParam {
		p := pearsonGuest()
		f(p)
		return p
	}
	spaced := with(func(p *pb.PearsonModelParam) { p.Party = "(guest, 9999)" })
	spacedWant := pearsonGuestWant(false)
	spacedWant.Party = "(guest, 99)"
	cases := map[string]convCase{
		"guest keeps FATE's spacing":   {param: pearsonGuest(), want: pearsonGuestWant(false)},
		"guest fate compat adds space": {param: pearsonGuest(), want: pearsonGuestWant(true), opt: Options{FATECompat: true}},
		"already spaced":               {param: spaced, want: spacedWant},
		"host":                         {param: pearsonHost(), want: hostWant},
		"unmapped party": {param: with(func(p *pb.PearsonModelParam) { p.Parties[1] = "(host,5)" }),
			wantErr: ErrUnmapped, wantField: "parties[1]"},
		"party not an integer": {param: with(func(p *pb.PearsonModelParam) { p.Party = "(guest,g)" }),
			wantErr: ErrNotInteger, wantField: "party"},
		"party not a tuple": {param: with(func(p *pb.PearsonModelParam) { p.Party = "guest:9999" }),
			wantErr: ErrBadForm, wantField: "party"},
		"name with a role and a non-integer id": {param: with(func(p *pb.PearsonModelParam) { p.AllNames[0].Names[0] = "host_rate_x" }),
			wantErr: ErrNotInteger, wantField: "all_names[0].names[0]"},
		"bad anonymous": {param: with(func(p *pb.PearsonModelParam) { p.AnonymousMap[1].Anonymous = "x1" }),
			wantErr: ErrBadForm, wantField: "anonymous_map[1].anonymous"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			c.module, c.paramName, c.meta = "HeteroPearson", "HeteroPearsonModelParam", meta
			runConvCase(t, c)
		})
	}
}

package convert

import (
	"errors"
	"testing"

	"github.com/planrun/planrun/fate/pb"
	"google.golang.org/protobuf/proto"
)

func iv(n int) *pb.IVParam {
	p := &pb.IVParam{Iv: 0.1 * float64(n), BinNums: int64(n), IsWoeMonotonic: n%2 == 0}
	for i := 0; i < n; i++ {
		p.SplitPoints = append(p.SplitPoints, float64(i)+0.5)
		p.WoeArray = append(p.WoeArray, float64(i)/10)
		p.EventCountArray = append(p.EventCountArray, int64(i*3))
	}
	return p
}

func hostResult(role, pid string, cols ...string) *pb.FeatureBinningResult {
	r := &pb.FeatureBinningResult{Role: role, PartyId: pid, BinningResult: map[string]*pb.IVParam{}}
	for i, c := range cols {
		r.BinningResult[c] = iv(i + 2)
	}
	return r
}

// binningGuest is a guest binning param with two hosts' results, a
// multi-class result and the transform_* fields FATE leaves stale.
func binningGuest() *pb.FeatureBinningParam {
	return &pb.FeatureBinningParam{
		BinningResult:   hostResult("guest", "9999", "age", "income"),
		HostResults:     []*pb.FeatureBinningResult{hostResult("host", "10000", "host_10000_x0", "host_10000_x1"), hostResult("host", "10001", "host_10001_x0")},
		Header:          []string{"age", "income"},
		HeaderAnonymous: []string{"guest_9999_x0", "guest_9999_x1"},
		ModelName:       "HeteroFeatureBinning",
		MultiClassResult: &pb.MultiClassResult{
			Results:       []*pb.FeatureBinningResult{hostResult("guest", "9999", "age")},
			Labels:        []string{"0", "1"},
			HostResults:   []*pb.FeatureBinningResult{hostResult("host", "10000", "host_10000_x0"), hostResult("host", "10001", "host_10001_x0")},
			HostPartyIds:  []string{"10000", "10001"},
			HasHostResult: true,
		},
		TransformBinningResult: hostResult("guest", "9999", "age"),
		TransformHostResults:   []*pb.FeatureBinningResult{hostResult("host", "10000", "host_10000_x1")},
		TransformMultiClassResult: &pb.MultiClassResult{
			Results:      []*pb.FeatureBinningResult{hostResult("guest", "9999", "age")},
			HostResults:  []*pb.FeatureBinningResult{hostResult("host", "10001", "host_10001_x0")},
			HostPartyIds: []string{"10001"},
		},
	}
}

func rekeyed(r *pb.FeatureBinningResult, pid string, keys map[string]string) *pb.FeatureBinningResult {
	out := proto.Clone(r).(*pb.FeatureBinningResult)
	out.PartyId = pid
	for o, n := range keys {
		out.BinningResult[n] = out.BinningResult[o]
		delete(out.BinningResult, o)
	}
	return out
}

func binningGuestWant(compat bool) *pb.FeatureBinningParam {
	p := binningGuest()
	p.HeaderAnonymous = []string{"guest_99_x0", "guest_99_x1"}
	p.BinningResult.PartyId = "99"
	p.HostResults[0] = rekeyed(p.HostResults[0], "100", map[string]string{"host_10000_x0": "host_100_x0", "host_10000_x1": "host_100_x1"})
	p.HostResults[1] = rekeyed(p.HostResults[1], "101", map[string]string{"host_10001_x0": "host_101_x0"})
	mc := p.MultiClassResult
	mc.Results[0].PartyId = "99"
	mc.HostResults[0] = rekeyed(mc.HostResults[0], "100", map[string]string{"host_10000_x0": "host_100_x0"})
	mc.HostResults[1] = rekeyed(mc.HostResults[1], "101", map[string]string{"host_10001_x0": "host_101_x0"})
	mc.HostPartyIds = []string{"100", "101"}
	if !compat {
		p.TransformBinningResult.PartyId = "99"
		p.TransformHostResults[0] = rekeyed(p.TransformHostResults[0], "100", map[string]string{"host_10000_x1": "host_100_x1"})
		tmc := p.TransformMultiClassResult
		tmc.Results[0].PartyId = "99"
		tmc.HostResults[0] = rekeyed(tmc.HostResults[0], "101", map[string]string{"host_10001_x0": "host_101_x0"})
		tmc.HostPartyIds = []string{"101"}
	}
	return p
}

// binningHost is a host's binning param: only its own results.
func binningHost() *pb.FeatureBinningParam {
	return &pb.FeatureBinningParam{
		BinningResult:    hostResult("host", "10000", "x0", "x1", "x2"),
		Header:           []string{"x0", "x1", "x2"},
		HeaderAnonymous:  []string{"host_10000_x0", "host_10000_x1", "host_10000_x2"},
		MultiClassResult: &pb.MultiClassResult{Results: []*pb.FeatureBinningResult{hostResult("host", "10000", "x0", "x1", "x2")}},
	}
}

func binningHostWant() *pb.FeatureBinningParam {
	p := binningHost()
	p.BinningResult.PartyId = "100"
	p.HeaderAnonymous = []string{"host_100_x0", "host_100_x1", "host_100_x2"}
	p.MultiClassResult.Results[0].PartyId = "100"
	return p
}

func TestConvertBinning(t *testing.T) {
	meta := &pb.FeatureBinningMeta{Method: "quantile", BinNum: 10, Cols: []string{"age", "income"}, TransformParam: &pb.TransformMeta{TransformCols: []int64{0, 1}, TransformType: "bin"}}
	with := func(f func(p *pb.FeatureBinningParam)) *pb.FeatureBinningParam {
		p := binningGuest()
		f(p)
		return p
	}
	// Only the guest changes: FATE 1.11 would delete every host result
	// (same key copied then deleted); planrun keeps them, in both modes.
	guestOnly := Mapping{"guest": {9999: 99}, "host": {10000: 10000, 10001: 10001}}
	guestOnlyWant := func() *pb.FeatureBinningParam {
		p := binningGuest()
		p.HeaderAnonymous = []string{"guest_99_x0", "guest_99_x1"}
		p.BinningResult.PartyId = "99"
		p.MultiClassResult.Results[0].PartyId = "99"
		p.TransformBinningResult.PartyId = "99"
		p.TransformMultiClassResult.Results[0].PartyId = "99"
		return p
	}
	guestOnlyCompatWant := func() *pb.FeatureBinningParam {
		p := guestOnlyWant()
		p.TransformBinningResult.PartyId = "9999"
		p.TransformMultiClassResult.Results[0].PartyId = "9999"
		return p
	}
	cases := map[string]convCase{
		"guest":                           {param: binningGuest(), want: binningGuestWant(false)},
		"guest fate compat":               {param: binningGuest(), want: binningGuestWant(true), opt: Options{FATECompat: true}},
		"host":                            {param: binningHost(), want: binningHostWant()},
		"host fate compat":                {param: binningHost(), want: binningHostWant(), opt: Options{FATECompat: true}},
		"host ids kept keep host results": {param: binningGuest(), m: guestOnly, want: guestOnlyWant()},
		"host ids kept keep host results fate compat": {param: binningGuest(), m: guestOnly, want: guestOnlyCompatWant(), opt: Options{FATECompat: true}},
		"unmapped host party id": {param: binningGuest(), m: Mapping{"guest": {9999: 99}, "host": {10000: 100}},
			wantErr: ErrUnmapped, wantField: "host_results[1].party_id"},
		"unmapped host in host_party_ids": {param: with(func(p *pb.FeatureBinningParam) { p.MultiClassResult.HostPartyIds[1] = "777" }),
			wantErr: ErrUnmapped, wantField: "multi_class_result.host_party_ids[1]"},
		"party id not an integer": {param: with(func(p *pb.FeatureBinningParam) { p.BinningResult.PartyId = "g1" }),
			wantErr: ErrNotInteger, wantField: "binning_result.party_id"},
		"arbiter role refused": {param: with(func(p *pb.FeatureBinningParam) { p.HostResults[0].Role = "arbiter" }),
			wantErr: ErrUnknownRole, wantField: "host_results[0].role"},
		"bad anonymous header": {param: with(func(p *pb.FeatureBinningParam) { p.HeaderAnonymous[1] = "x1" }),
			wantErr: ErrBadForm, wantField: "header_anonymous[1]"},
		"bad host column key": {param: with(func(p *pb.FeatureBinningParam) { p.HostResults[1].BinningResult["host_55_x9"] = iv(1) }),
			wantErr: ErrUnmapped, wantField: "host_results[1].binning_result[host_55_x9](key)"},
		"empty role and party id are left alone": {
			param: &pb.FeatureBinningParam{BinningResult: hostResult("", "", "a")}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			c.module, c.paramName, c.meta = "HeteroFeatureBinning", "FeatureBinningParam", meta
			runConvCase(t, c)
		})
	}
}

func TestRekeyCollision(t *testing.T) {
	m := map[string]*pb.IVParam{"host_10000_x0": iv(1), "host_10001_x0": iv(2)}
	r := newReplacer(Mapping{"host": {10000: 100, 10001: 100}}, Options{})
	_, _, err := rekey(m, "f", r.anonymous)
	if !errors.Is(err, ErrKeyCollision) {
		t.Fatalf("error = %v, want ErrKeyCollision", err)
	}
}

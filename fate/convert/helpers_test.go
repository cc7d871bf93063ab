package convert

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
)

// mapping is the migration the tests use: guest 9999 → 99, two hosts
// 10000 → 100 and 10001 → 101, arbiter 10000 → 100.
var mapping = Mapping{
	"guest":   {9999: 99},
	"host":    {10000: 100, 10001: 101},
	"arbiter": {10000: 100},
}

var oldParties = map[string][]int64{"guest": {9999}, "host": {10000, 10001}, "arbiter": {10000}}
var newParties = map[string][]int64{"guest": {99}, "host": {100, 101}, "arbiter": {100}}

// inverse maps new ids back to old ones.
func inverse(m Mapping) Mapping {
	inv := Mapping{}
	for role, ids := range m {
		inv[role] = map[int64]int64{}
		for o, n := range ids {
			inv[role][n] = o
		}
	}
	return inv
}

func mustMarshal(t testing.TB, m proto.Message) []byte {
	t.Helper()
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// unknownTail is a field no FATE message declares (number 99), holding an
// old party id; it must survive every rewrite byte for byte.
func unknownTail() []byte {
	b := protowire.AppendTag(nil, 99, protowire.BytesType)
	return protowire.AppendString(b, "host:10000")
}

// convCase is one converter golden case: the original Param, the Param
// FATE's converter produces from it (spelled out by the case), the mapping
// and options.
type convCase struct {
	module    string
	paramName string
	param     proto.Message
	meta      proto.Message
	want      proto.Message // nil: the Param must come back as the same bytes
	m         Mapping
	opt       Options
	wantErr   error
	wantField string
}

func runConvCase(t *testing.T, c convCase) {
	t.Helper()
	metaName := "SomeModelMeta"
	paramBytes := append(mustMarshal(t, c.param), unknownTail()...)
	models := map[string][]byte{
		c.paramName:  paramBytes,
		metaName:     mustMarshal(t, c.meta),
		"OtherModel": {1, 2, 3},
	}
	m := c.m
	if m == nil {
		m = mapping
	}
	out, err := Convert(c.module, models, m, c.opt)
	if c.wantErr != nil {
		var ce *Error
		if !errors.Is(err, c.wantErr) || !errors.As(err, &ce) {
			t.Fatalf("Convert error = %v, want %v as *Error", err, c.wantErr)
		}
		if ce.Field != c.wantField || ce.Model != c.paramName || ce.Module != c.module {
			t.Fatalf("error names model %q field %q module %q, want %q %q %q", ce.Model, ce.Field, ce.Module, c.paramName, c.wantField, c.module)
		}
		return
	}
	if err != nil {
		t.Fatalf("Convert: %v", err)
	}
	if len(out) != len(models) {
		t.Fatalf("Convert returned %d models, want %d", len(out), len(models))
	}
	sameSlice(t, out[metaName], models[metaName], metaName)
	sameSlice(t, out["OtherModel"], models["OtherModel"], "OtherModel")
	if c.want == nil {
		sameSlice(t, out[c.paramName], paramBytes, c.paramName)
		return
	}
	got := c.param.ProtoReflect().New().Interface()
	if err := proto.Unmarshal(out[c.paramName], got); err != nil {
		t.Fatal(err)
	}
	if u := got.ProtoReflect().GetUnknown(); string(u) != string(unknownTail()) {
		t.Errorf("unknown fields = %x, want %x", u, unknownTail())
	}
	got.ProtoReflect().SetUnknown(nil)
	if diff := cmp.Diff(c.want, got, protocmp.Transform()); diff != "" {
		t.Errorf("converted param (-want +got):\n%s", diff)
	}
	// Deterministic: converting again gives the same bytes.
	again, err := Convert(c.module, models, m, c.opt)
	if err != nil || string(again[c.paramName]) != string(out[c.paramName]) {
		t.Errorf("second Convert differs (err %v)", err)
	}
	// Round trip: back to the old ids gives the original message.
	back, err := Convert(c.module, out, inverse(m), c.opt)
	if err != nil {
		t.Fatalf("Convert back: %v", err)
	}
	orig := c.param.ProtoReflect().New().Interface()
	if err := proto.Unmarshal(back[c.paramName], orig); err != nil {
		t.Fatal(err)
	}
	orig.ProtoReflect().SetUnknown(nil)
	if diff := cmp.Diff(c.param, orig, protocmp.Transform()); diff != "" && !c.opt.FATECompat {
		t.Errorf("round trip (-orig +back):\n%s", diff)
	}
}

func sameSlice(t *testing.T, got, want []byte, name string) {
	t.Helper()
	if len(got) != len(want) || (len(want) > 0 && &got[0] != &want[0]) {
		t.Errorf("%s: not returned as the same bytes", name)
	}
}

func asErr(err error, target **Error) bool {
	return errors.Is(err, ErrDecode) && errors.As(err, target)
}

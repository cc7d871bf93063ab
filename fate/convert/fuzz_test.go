package convert

import (
	"errors"
	"testing"

	"google.golang.org/protobuf/proto"
)

// fuzzModules are the modules FuzzConvert picks from: every converter's,
// one that Scan knows without a converter, and one it does not know.
var fuzzModules = []string{"HeteroSecureBoost", "HeteroPearson", "HeteroFeatureBinning",
	"HeteroFeatureSelection", "DataTransform", "HeteroLR", "Unknown"}

// FuzzConvert feeds arbitrary Param buffers to Convert and Scan: neither
// may panic, every error is an *Error naming the model, and a buffer
// Convert accepts converts again (old ids mapped to new, new back to old)
// without an error.
func FuzzConvert(f *testing.F) {
	for i, m := range []proto.Message{sbtGuest(), pearsonGuest(), binningGuest(), selectionGuest()} {
		f.Add(uint8(i), mustMarshal(f, m), false)
	}
	f.Add(uint8(0), mustMarshal(f, sbtHost()), true)
	f.Add(uint8(1), mustMarshal(f, pearsonHost()), true)
	f.Add(uint8(2), mustMarshal(f, binningHost()), false)
	f.Add(uint8(3), mustMarshal(f, selectionHost()), false)
	f.Add(uint8(6), append(mustMarshal(f, sbtGuest()), unknownTail()...), false)
	f.Fuzz(func(t *testing.T, mod uint8, param []byte, compat bool) {
		module := fuzzModules[int(mod)%len(fuzzModules)]
		models := map[string][]byte{"FuzzParam": param, "FuzzMeta": nil}
		opt := Options{FATECompat: compat, Role: "guest", PartyID: 9999}
		if _, err := Scan(module, models, oldParties); err != nil && !isError(err) {
			t.Fatalf("Scan %s: error %T %v is not an *Error", module, err, err)
		}
		out, err := Convert(module, models, mapping, opt)
		if err != nil {
			if !isError(err) {
				t.Fatalf("Convert %s: error %T %v is not an *Error", module, err, err)
			}
			return
		}
		opt.PartyID = 99
		if _, err := Convert(module, out, inverse(mapping), opt); err != nil {
			t.Fatalf("Convert %s: the converted buffer does not convert back: %v", module, err)
		}
	})
}

func isError(err error) bool {
	var e *Error
	return errors.As(err, &e)
}

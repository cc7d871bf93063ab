package pyjson

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzQuote: what Quote writes is printable ASCII and reads back, with
// encoding/json, as the string written.
func FuzzQuote(f *testing.F) {
	for _, s := range []string{"", "guest#9999", "é\u2028😀\x7f\x00\"\\/", "\t\n\r\b\f"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return // Go strings from protobuf and JSON are UTF-8
		}
		var sb strings.Builder
		Quote(&sb, s)
		out := sb.String()
		for i := 0; i < len(out); i++ {
			if out[i] < 0x20 || out[i] > 0x7e {
				t.Fatalf("Quote(%q) = %q: byte %#x is not printable ASCII", s, out, out[i])
			}
		}
		var back string
		if err := json.Unmarshal([]byte(out), &back); err != nil || back != s {
			t.Fatalf("Quote(%q) = %q, reads back as %q, %v", s, out, back, err)
		}
	})
}

// FuzzFloat: Float's text reads back as the same float of its size, and
// has repr's form: a '.', an exponent, or nan/inf spelt as json.dumps
// spells them.
func FuzzFloat(f *testing.F) {
	for _, x := range []float64{0, 1, -0.0, 0.1, 1e16, 1e-5, 123456789.125, math.MaxFloat64, math.SmallestNonzeroFloat64, 3.4028234663852886e38} {
		f.Add(math.Float64bits(x), false)
	}
	f.Fuzz(func(t *testing.T, bits uint64, single bool) {
		x, size := math.Float64frombits(bits), 64
		if single {
			x, size = float64(math.Float32frombits(uint32(bits))), 32
		}
		out := Float(x, size)
		switch {
		case math.IsNaN(x):
			if out != "NaN" {
				t.Fatalf("Float(NaN) = %q", out)
			}
			return
		case math.IsInf(x, 0):
			if out != "Infinity" && out != "-Infinity" {
				t.Fatalf("Float(%v) = %q", x, out)
			}
			return
		}
		back, err := strconv.ParseFloat(out, size)
		if err != nil || back != x || math.Signbit(back) != math.Signbit(x) {
			t.Fatalf("Float(%v, %d) = %q, reads back as %v, %v", x, size, out, back, err)
		}
		if !strings.ContainsAny(out, ".e") {
			t.Fatalf("Float(%v, %d) = %q: repr has a '.' or an exponent", x, size, out)
		}
	})
}

package pyjson

import (
	"math"
	"strings"
	"testing"
)

func TestFloat(t *testing.T) {
	tests := map[float64]string{ // from Python's repr
		1.0: "1.0", 1e-05: "1e-05", 0.0001: "0.0001", 1e16: "1e+16", 1e15: "1000000000000000.0",
		123.456: "123.456", -0.5: "-0.5", 0.1: "0.1", 1.0 / 3: "0.3333333333333333", 5e-324: "5e-324",
		math.MaxFloat64: "1.7976931348623157e+308", 100: "100.0", 12345678901234567.0: "1.2345678901234568e+16",
	}
	for f, want := range tests {
		if got := Float(f, 64); got != want {
			t.Errorf("Float(%v) = %q, want %q", f, got, want)
		}
	}
	// float32 fields: protobuf's ToShortestFloat, then repr.
	if got := Float(float64(float32(0.1)), 32); got != "0.1" {
		t.Errorf("Float(float32 0.1) = %q, want 0.1", got)
	}
}

func TestQuote(t *testing.T) {
	tests := map[string]string{ // from Python's json.dumps
		"plain":                 `"plain"`,
		"quote \" backslash \\": `"quote \" backslash \\"`,
		"\n\r\t\b\f":            `"\n\r\t\b\f"`,
		"\x01 \x7f":             `"\u0001 \u007f"`,
		"é":                     `"\u00e9"`,
		"😀":                     `"\ud83d\ude00"`,
	}
	for in, want := range tests {
		var sb strings.Builder
		Quote(&sb, in)
		if got := sb.String(); got != want {
			t.Errorf("Quote(%q) = %s, want %s", in, got, want)
		}
	}
}

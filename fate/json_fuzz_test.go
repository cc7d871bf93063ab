package fate

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseJSON checks the order-keeping JSON parser against
// encoding/json: every UTF-8 document encoding/json accepts parses (numbers
// beyond float64 aside, which both keep as text), to the same values;
// and what parses is written back by pyDumps as a document that parses
// to the same value and is written the same again.
func FuzzParseJSON(f *testing.F) {
	for _, s := range []string{
		`{"role": {"guest": [9999], "host": [10000]}, "party_id": 9999}`,
		`[1, -2.5e10, 1E-7, NaN, -Infinity, Infinity, true, false, null, "\u00e9\ud83d\ude00\n"]`,
		`{"a": 1, "a": 2, "b": {}}`, `"\ud800"`, ` 0 `, `[[[[]]]]`, `{"x": 12345678901234567890}`,
		`{"k": "tab\there"}`, `1.0`, `-0`, `[1,]`, `{"a" 1}`, `"\x"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := parseJSON(data)
		// Python, like parseJSON, refuses invalid UTF-8; encoding/json
		// replaces it.
		valid := json.Valid(data) && utf8.Valid(data)
		if valid && err != nil && !strings.Contains(err.Error(), "nested too deeply") {
			t.Fatalf("encoding/json accepts %q, parseJSON: %v", data, err)
		}
		if err != nil {
			return
		}
		if valid {
			var want any
			d := json.NewDecoder(bytes.NewReader(data))
			d.UseNumber()
			if err := d.Decode(&want); err != nil {
				t.Fatal(err)
			}
			if got := toGo(v); !sameJSON(got, want) {
				t.Fatalf("%q: parseJSON gives %#v, encoding/json %#v", data, got, want)
			}
		}
		out := v.pyDumps()
		again, err := parseJSON(out)
		if err != nil {
			t.Fatalf("%q written as %q, which does not parse: %v", data, out, err)
		}
		if out2 := again.pyDumps(); !bytes.Equal(out, out2) {
			t.Fatalf("%q written as %q, then as %q", data, out, out2)
		}
		if !utf8ASCII(out) {
			t.Fatalf("pyDumps wrote non-ASCII %q (json.dumps escapes it)", out)
		}
	})
}

// sameJSON compares toGo's values with encoding/json's (UseNumber).
func sameJSON(got, want any) bool {
	switch w := want.(type) {
	case json.Number:
		if n, err := w.Int64(); err == nil {
			return got == n
		}
		f, err := w.Float64()
		g, ok := got.(float64)
		if !ok {
			return false
		}
		if err != nil { // out of range: +-Inf both ways
			return math.IsInf(g, 0) || g == f
		}
		return g == f
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range w {
			if !sameJSON(g[i], w[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for k := range w {
			if !sameJSON(g[k], w[k]) {
				return false
			}
		}
		return true
	case string:
		// encoding/json turns invalid UTF-8 and lone surrogates into
		// U+FFFD; Python (and parseJSON) keep a lone surrogate.
		g, ok := got.(string)
		return ok && (g == w || strings.ToValidUTF8(g, "\uFFFD") == w || strings.Contains(w, "\uFFFD"))
	}
	return reflect.DeepEqual(got, want)
}

func utf8ASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

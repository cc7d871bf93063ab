package fate

import (
	"errors"
	"testing"
)

// The want strings come from Python 3's json.dumps(json.loads(in)) and
// json.dumps(..., indent=4).
func TestPyDumps(t *testing.T) {
	tests := map[string]struct{ in, want, wantIndent string }{
		"order and spacing": {
			`{"b":1,"a":[1,2,{"z":null,"y":true}],"c":{}}`,
			`{"b": 1, "a": [1, 2, {"z": null, "y": true}], "c": {}}`,
			"{\n    \"b\": 1,\n    \"a\": [\n        1,\n        2,\n        {\n            \"z\": null,\n            \"y\": true\n        }\n    ],\n    \"c\": {}\n}",
		},
		"unicode": {
			`{"k": "caf\u00e9 中 😀 ` + "\x7f" + ` tab\t q\" bs\\ \/"}`,
			`{"k": "caf\u00e9 \u4e2d \ud83d\ude00 \u007f tab\t q\" bs\\ /"}`,
			"{\n    \"k\": \"caf\\u00e9 \\u4e2d \\ud83d\\ude00 \\u007f tab\\t q\\\" bs\\\\ /\"\n}",
		},
		"floats": {
			`[1.0, 1e-05, 0.0001, 1e+16, 123.456, -0.5, NaN, Infinity, -Infinity, 1E5, -0, 12345678901234567890]`,
			`[1.0, 1e-05, 0.0001, 1e+16, 123.456, -0.5, NaN, Infinity, -Infinity, 100000.0, 0, 12345678901234567890]`,
			"",
		},
		"repeated key keeps first place, last value": {`{"a": 1, "b": 2, "a": 3}`, `{"a": 3, "b": 2}`, "{\n    \"a\": 3,\n    \"b\": 2\n}"},
		"nested empty": {
			`{"a": [], "b": {}, "c": [[]], "d": ""}`,
			`{"a": [], "b": {}, "c": [[]], "d": ""}`,
			"{\n    \"a\": [],\n    \"b\": {},\n    \"c\": [\n        []\n    ],\n    \"d\": \"\"\n}",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			v, err := parseJSON([]byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if got := string(v.pyDumps()); got != tc.want {
				t.Errorf("pyDumps:\n got %s\nwant %s", got, tc.want)
			}
			if tc.wantIndent != "" {
				if got := string(v.pyDumpsIndent(4)); got != tc.wantIndent {
					t.Errorf("pyDumpsIndent:\n got %s\nwant %s", got, tc.wantIndent)
				}
			}
		})
	}
}

func TestParseJSONErrors(t *testing.T) {
	tests := map[string]struct {
		in        string
		line, col int
	}{
		"unterminated":  {"{\"a\": \"x", 1, 9},
		"trailing":      {"{}\n x", 2, 2},
		"bad literal":   {"{\"a\": tru}", 1, 7},
		"missing colon": {"{\"a\" 1}", 1, 6},
		"control char":  {"[\"a\nb\"]", 1, 4},
		"invalid UTF-8": {"{\"party\": \"\xe9\"}", 1, 12},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := parseJSON([]byte(tc.in))
			var se *jsonSyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("parseJSON(%q) error = %v, want a syntax error", tc.in, err)
			}
			if se.Line != tc.line || se.Col != tc.col {
				t.Errorf("position = %d:%d, want %d:%d (%v)", se.Line, se.Col, tc.line, tc.col, se)
			}
		})
	}
}

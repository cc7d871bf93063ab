package sample

import "testing"

func TestPyJSON(t *testing.T) {
	cases := map[string]struct {
		in   any
		want string
	}{
		"object order and separators": {obj{{"b", 1}, {"a", []any{1, "x", true, nil}}}, `{"b": 1, "a": [1, "x", true, null]}`},
		"empty":                       {obj{{"o", obj{}}, {"l", []any{}}}, `{"o": {}, "l": []}`},
		"floats":                      {[]any{0.1, 1.0, 1e-5, 1.5e16, 123456.5, -2.0}, `[0.1, 1.0, 1e-05, 1.5e+16, 123456.5, -2.0]`},
		"ensure_ascii":                {"é\"\\\n\x01\x7f😀", `"\u00e9\"\\\n\u0001\u007f\ud83d\ude00"`}, // Python escapes DEL too
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if got := pyJSON(c.in); got != c.want {
				t.Errorf("pyJSON = %s, want %s", got, c.want)
			}
		})
	}
}

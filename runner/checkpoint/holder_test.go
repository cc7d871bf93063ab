package checkpoint_test

import (
	"testing"
	"time"

	"github.com/planrun/planrun/runner/checkpoint"
)

func TestHolderString(t *testing.T) {
	since := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := map[string]struct {
		h    checkpoint.Holder
		want string
	}{
		"plain": {
			checkpoint.Holder{PID: 42, Host: "box", User: "ann", Started: since, Command: "planrun apply 'p q.yaml' --only 风控"},
			"pid 42 on box (user ann) since 2026-01-02T03:04:05Z: planrun apply 'p q.yaml' --only 风控",
		},
		"unknown": {checkpoint.Holder{}, "an unknown holder"},
		"terminal escapes": {
			checkpoint.Holder{PID: 999999, Host: "h\x1b[2J\x1b[31mFAKE", User: "u\x07"},
			`pid 999999 on "h\x1b[2J\x1b[31mFAKE" (user "u\a")`,
		},
		"a faked line": {
			checkpoint.Holder{PID: 7, Host: "box", Command: "planrun apply\nplanrun: all good"},
			`pid 7 on box: "planrun apply\nplanrun: all good"`,
		},
		"carriage return, tab": {
			checkpoint.Holder{PID: 7, Host: "box\rok", Command: "a\tb"},
			`pid 7 on "box\rok": "a\tb"`,
		},
		"bidi override": {
			checkpoint.Holder{PID: 7, Host: "box", User: "\u202eevil"},
			`pid 7 on box (user "\u202eevil")`,
		},
		"not UTF-8": {
			checkpoint.Holder{PID: 7, Host: "b\xffx"},
			`pid 7 on "b\xffx"`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := tc.h.String(); got != tc.want {
				t.Errorf("String() = %q, want %q", got, tc.want)
			}
		})
	}
}

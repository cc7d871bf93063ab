package plan

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSubstitutedProblems uses the embedded schema of the transfer kind
// (parallel: integer 1..256; from/to: strings of at least one character).
func TestSubstitutedProblems(t *testing.T) {
	tmpl := map[string]any{"from": "${{ item.src }}", "to": "local:/x", "parallel": "${{ vars.p }}"}
	tests := map[string]struct {
		with map[string]any
		want []fieldError
	}{
		"fine as numbers": {
			with: map[string]any{"from": "a:/b", "to": "local:/x", "parallel": "12"},
		},
		"numeric text in a string field": {
			with: map[string]any{"from": "2020", "to": "local:/x", "parallel": 4.0},
		},
		"out of range after substitution": {
			with: map[string]any{"from": "a:/b", "to": "local:/x", "parallel": "1000"},
			want: []fieldError{{path: []string{"parallel"}, msg: "got 1000, want at most 256"}},
		},
		"empty string after substitution": {
			with: map[string]any{"from": "", "to": "local:/x", "parallel": "2"},
			want: []fieldError{{path: []string{"from"}, msg: "got 0 characters, want at least 1"}},
		},
		"type errors are left to the decode": {
			with: map[string]any{"from": "a:/b", "to": "local:/x", "parallel": "many"},
		},
		"still an expression": {
			with: map[string]any{"from": "${{ steps.a.outputs.p }}", "to": "local:/x", "parallel": "${{ env.P }}"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := substitutedProblems("transfer", tmpl, tc.with)
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(fieldError{})); diff != "" {
				t.Errorf("substitutedProblems (-want +got):\n%s", diff)
			}
		})
	}
}

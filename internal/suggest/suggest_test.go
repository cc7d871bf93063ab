package suggest

import "testing"

func TestClosest(t *testing.T) {
	fields := []string{"version", "name", "vars", "hosts", "defaults", "limits", "steps"}
	kinds := []string{"collect", "exec", "import", "migrate", "transfer", "verify"}
	for name, tc := range map[string]struct {
		name       string
		candidates []string
		want       string // "" = no suggestion
	}{
		"missing plural":      {"host", fields, "hosts"},
		"letter left out":     {"transfr", kinds, "transfer"},
		"letter doubled":      {"steeps", fields, "steps"},
		"letters swapped":     {"verison", fields, "version"},
		"case":                {"Steps", fields, "steps"},
		"two edits, long":     {"defalts_", fields, "defaults"},
		"two edits, short":    {"vaXY", fields, ""},
		"far":                 {"retries", fields, ""},
		"exact is not a typo": {"steps", fields, ""},
		"tie":                 {"ab", []string{"ac", "ad"}, ""},
		"closest wins":        {"exe", []string{"exec", "exam"}, "exec"},
		"short one edit":      {"rot", []string{"root", "port"}, "root"},
		"empty name":          {"", fields, ""},
		"no candidates":       {"host", nil, ""},
		"unicode":             {"grüße", []string{"grüsse"}, "grüsse"},
	} {
		t.Run(name, func(t *testing.T) {
			got, ok := Closest(tc.name, tc.candidates)
			if ok != (tc.want != "") || got != tc.want {
				t.Errorf("Closest(%q) = %q, %v; want %q", tc.name, got, ok, tc.want)
			}
		})
	}
}

func TestDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"a", "", 1}, {"", "abc", 3}, {"kitten", "sitting", 3},
		{"ab", "ba", 1}, {"abcd", "acbd", 1}, {"ca", "abc", 3}, {"flaw", "lawn", 2},
	} {
		if got := distance(tc.a, tc.b); got != tc.want {
			t.Errorf("distance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestHint(t *testing.T) {
	if got, want := Hint("host", []string{"hosts"}), ` (did you mean "hosts"?)`; got != want {
		t.Errorf("Hint = %q, want %q", got, want)
	}
	if got := Hint("zzz", []string{"hosts"}); got != "" {
		t.Errorf("Hint = %q, want none", got)
	}
	if got, want := Prefix("host", []string{"hosts"}), `did you mean "hosts"? `; got != want {
		t.Errorf("Prefix = %q, want %q", got, want)
	}
	if got := Prefix("zzz", []string{"hosts"}); got != "" {
		t.Errorf("Prefix = %q, want none", got)
	}
}

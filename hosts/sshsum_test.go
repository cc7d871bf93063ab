package hosts

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseSums(t *testing.T) {
	a, b := strings.Repeat("ab", 32), strings.Repeat("0f", 32)
	paths := []string{"/d/.x.planrun-tmp", "/d/y z"}
	for name, tc := range map[string]struct {
		out  string
		want []string
	}{
		"openssl -r":          {a + " */d/.x.planrun-tmp\n" + b + " */d/y z\n", []string{a, b}},
		"sha256sum":           {a + "  /d/.x.planrun-tmp\n" + b + "  /d/y z\n", []string{a, b}},
		"upper case hex":      {strings.ToUpper(a) + " */d/.x.planrun-tmp\n" + b + " */d/y z\n", []string{a, b}},
		"a line missing":      {a + " */d/.x.planrun-tmp\n", nil},
		"another file":        {a + " */d/.x.planrun-tmp\n" + b + " */d/other\n", nil},
		"out of order":        {b + " */d/y z\n" + a + " */d/.x.planrun-tmp\n", nil},
		"not hex":             {strings.Repeat("zz", 32) + " */d/.x.planrun-tmp\n" + b + " */d/y z\n", nil},
		"openssl plain style": {"SHA2-256(/d/.x.planrun-tmp)= " + a + "\nSHA2-256(/d/y z)= " + b + "\n", nil},
		"empty":               {"", nil},
	} {
		t.Run(name, func(t *testing.T) {
			got, ok := parseSums(tc.out, paths)
			if ok != (tc.want != nil) {
				t.Fatalf("ok = %v, want %v", ok, tc.want != nil)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("sums (-want +got):\n%s", diff)
			}
		})
	}
}

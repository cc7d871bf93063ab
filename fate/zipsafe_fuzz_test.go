package fate

import (
	"path"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzCheckZipName: a name checkZipName lets through is local by Go's own
// rule (filepath.IsLocal) and already clean, so it names exactly one
// place inside the target directory.
func FuzzCheckZipName(f *testing.F) {
	for _, s := range []string{"a/b.pb", "d/", "../x", "a/../../x", "/etc/passwd", `a\..\x`, "C:x", "a//b", "./a", "a/./b", "..", "a\x00b", "NUL"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if checkZipName(name) != nil {
			return
		}
		n := strings.TrimSuffix(name, "/")
		if !filepath.IsLocal(n) {
			t.Fatalf("%q accepted, but filepath.IsLocal says it is not local", name)
		}
		if path.Clean(n) != n {
			t.Fatalf("%q accepted, but it is not clean (%q)", name, path.Clean(n))
		}
	})
}

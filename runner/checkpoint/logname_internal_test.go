package checkpoint

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLogNames: every step id gets a log file of its own, ids that differ
// only in characters a file name cannot hold included; plain ids keep
// their plain names; logs written under the names of earlier versions are
// still read.
func TestLogNames(t *testing.T) {
	ids := []string{"fetch", "migrate[m01-guest]", "migrate[风控-guest]", "migrate[营销-guest]", "x@1", "x#1", "x_1",
		strings.Repeat("long-id-", 60) + "a", strings.Repeat("long-id-", 60) + "b"}
	seen := map[string]string{}
	for _, id := range ids {
		n := LogName(id, 1)
		if other, dup := seen[n]; dup {
			t.Errorf("%q and %q share the log %s", id, other, n)
		}
		seen[n] = id
		if len(n) > 255 {
			t.Errorf("%q: log name of %d bytes", id, len(n))
		}
	}
	if got := LogName("fetch", 2); got != "fetch.2.log" {
		t.Errorf("plain id: %s, want fetch.2.log", got)
	}

	dir := t.TempDir()
	s, err := OpenFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	r, err := s.CreateRun(ctx, "r1", nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	old := filepath.Join(s.RunDir("r1"), logsDir, legacyLogName("migrate[风控-guest]", 1))
	os.MkdirAll(filepath.Dir(old), 0o755)
	os.WriteFile(old, []byte("written before the hash\n"), 0o644)
	if b, err := s.ReadLog(ctx, "r1", "migrate[风控-guest]", 1); err != nil || string(b) != "written before the hash\n" {
		t.Errorf("legacy log: %q, %v", b, err)
	}
}

package hosts

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestCopyNoRecord: with NoRecord no digest record is written beside the
// destination, and a later copy still finds the files identical (by
// hashing them).
func TestCopyNoRecord(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	if err := os.MkdirAll(filepath.Join(src, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"a", "sub/b"} {
		if err := os.WriteFile(filepath.Join(src, f), []byte("content of "+f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	l := NewLocal(LocalName, "")
	dst := filepath.Join(dir, "cache", "model")
	for i, wantSkipped := range []int{0, 2} {
		res, err := Copy(ctx, l, src, l, dst, CopyOptions{NoRecord: true})
		if err != nil {
			t.Fatal(err)
		}
		if res.Skipped != wantSkipped || res.Files != 2 {
			t.Errorf("copy %d: files %d skipped %d, want 2 and %d", i+1, res.Files, res.Skipped, wantSkipped)
		}
		entries, err := os.ReadDir(filepath.Join(dir, "cache"))
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 1 || entries[0].Name() != "model" {
			t.Errorf("copy %d: destination's directory holds %v, want only model", i+1, entries)
		}
	}
}

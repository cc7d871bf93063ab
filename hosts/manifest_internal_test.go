package hosts

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// recordNames are names a tree may hold that a line-based record must not
// confuse with one another or with a line's other fields.
var recordNames = []string{
	"plain.pb", "dir/sub/file", "with space", "tab\there", "new\nline", `"quoted"`, `"a\nb"`,
	"x\t" + strings.Repeat("a", 64) + "\ny", "trailing\\", "π/ü", "\xff\xfe", "cr\r", "x", "x\r",
}

// TestRecordNames: every name reads back as written, from the digest
// record too (a name with a newline no longer spoils the whole record),
// and no two trees share a digest because a name held a tab and a newline.
func TestRecordNames(t *testing.T) {
	for _, name := range recordNames {
		if got, ok := parseRecordName(recordName(name)); !ok || got != name {
			t.Errorf("%q read back as %q, %v", name, got, ok)
		}
		if enc := recordName(name); strings.ContainsAny(enc, "\t\n\r") {
			t.Errorf("%q is written as %q: a tab, newline or carriage return in a line", name, enc)
		}
	}
	ctx := context.Background()
	h := NewLocal("local", t.TempDir())
	rec := sums{}
	for i, name := range recordNames {
		rec[name] = sumEntry{sha: strings.Repeat(string(rune('a'+i%6)), 64), size: int64(i), mtime: 1_600_000_000 + int64(i)}
	}
	if err := writeSums(ctx, h, "tree", rec); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Hour) // the record is older than nothing in it: no entry is racy
	os.Chtimes(h.Resolve(SumsName("tree")), later, later)
	got := readSums(ctx, h, "tree")
	if len(got) != len(rec) {
		t.Fatalf("read %d entries back, wrote %d", len(got), len(rec))
	}
	for name, e := range rec {
		if g := got[name]; g.sha != e.sha || g.size != e.size || g.mtime != e.mtime || g.racy {
			t.Errorf("%q: read %+v, wrote %+v", name, g, e)
		}
	}
	s1, s2 := strings.Repeat("1", 64), strings.Repeat("2", 64)
	a := ManifestDigest(map[string]string{"x": s1, "y": s2})
	b := ManifestDigest(map[string]string{"x\t" + s1 + "\ny": s2})
	if a == b {
		t.Error("a tree of x and y has the digest of a tree of one file whose name spells x's line")
	}
}

// FuzzReadSums: any record file reads without panicking, into entries
// that name files a record can hold; and any names written read back.
func FuzzReadSums(f *testing.F) {
	f.Add([]byte(sumsHeader+"\n"+strings.Repeat("a", 64)+"\t1\t2\tname\n"), "name")
	f.Add([]byte(sumsHeader+"\n"+strings.Repeat("a", 64)+"\t1\t2\t\"q\\n\"\n"), "tab\tname")
	f.Add([]byte("garbage"), "\"")
	f.Fuzz(func(t *testing.T, record []byte, name string) {
		ctx := context.Background()
		h := NewLocal("local", t.TempDir())
		if err := os.WriteFile(h.Resolve(SumsName("r")), record, 0o644); err != nil {
			t.Fatal(err)
		}
		for rel, e := range readSums(ctx, h, "r") {
			if len(e.sha) != 64 {
				t.Errorf("entry %q has a %d-character digest", rel, len(e.sha))
			}
		}
		if len(name) > 1<<16 { // a record line holds at most 1 MiB
			return
		}
		rec := sums{name: {sha: strings.Repeat("f", 64), size: 3, mtime: 4}}
		if err := writeSums(ctx, h, "w", rec); err != nil {
			t.Fatal(err)
		}
		if got := readSums(ctx, h, "w"); len(got) != 1 || got[name].sha != rec[name].sha {
			t.Errorf("name %q: read back %v", name, got)
		}
	})
}

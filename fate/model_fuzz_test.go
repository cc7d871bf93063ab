package fate

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/planrun/planrun/fate/sample"
)

// FuzzMigrateModel replaces one file of a real model (pipeline, define
// meta, runtime conf, a component's buffers or their .json twins...)
// with arbitrary bytes and migrates it. Migrate must not panic; when it
// succeeds, the archive it wrote must open, Scan (model verify) must read
// it unless it cannot read the source either (a file carried over as it
// is), and find no old party id in a file Migrate wrote.
func FuzzMigrateModel(f *testing.F) {
	res, err := sample.Write(f.TempDir(), sample.Options{
		Components: []string{sample.DataTransform, sample.HeteroFeatureBinning}})
	if err != nil {
		f.Fatal(err)
	}
	src := res.Parties[0].Dir
	var names []string
	orig := map[string][]byte{}
	err = filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		names = append(names, rel)
		orig[rel], err = os.ReadFile(p)
		return err
	})
	if err != nil {
		f.Fatal(err)
	}
	sort.Strings(names)
	for i, n := range names {
		f.Add(uint16(i), orig[n])
	}
	cfg := mustConfig(f, sampleMigrate)
	base := filepath.Base(src)
	f.Fuzz(func(t *testing.T, idx uint16, content []byte) {
		dir := filepath.Join(t.TempDir(), filepath.Base(filepath.Dir(src)), base)
		pick := names[int(idx)%len(names)]
		for _, n := range names {
			data := orig[n]
			if n == pick {
				data = content
			}
			p := filepath.Join(dir, n)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		r, err := Migrate(context.Background(), MigrateRequest{Src: dir, OutDir: t.TempDir(), Config: cfg})
		if err != nil {
			return
		}
		residue, err := Scan(r.Zip, cfg.Changed())
		if err != nil {
			// Only a file carried over as it was may stay unreadable.
			if _, srcErr := Scan(dir, cfg.Changed()); srcErr == nil {
				t.Fatalf("%s replaced by %q: Migrate wrote %s, which Scan cannot read (the source it can): %v", pick, content, r.Zip, err)
			}
			return
		}
		// Old ids may be left only in files carried over byte for byte
		// (a .json twin that does not match its buffer, say: verify
		// reports it); every file Migrate writes must be clean.
		out, err := OpenModel(r.Zip, ZipLimits{})
		if err != nil {
			t.Fatal(err)
		}
		defer out.Close()
		for _, rs := range residue {
			data, err := out.ReadFile(rs.File)
			if err != nil {
				t.Fatal(err)
			}
			rel := filepath.FromSlash(rs.File)
			before, ok := orig[rel]
			if rel == pick {
				before, ok = content, true
			}
			if !ok || string(before) != string(data) {
				t.Fatalf("%s replaced by %q: Migrate wrote %s with an old party id: %v", pick, content, rs.File, rs)
			}
		}
	})
}

package hoststest

// The trees the copy cases write and check: files with contents, modes
// and mtimes, and the checks of a copied tree (its files, digests, sums).

import (
	"io/fs"
	"maps"
	"math/rand/v2"
	"path"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/planrun/planrun/hosts"
)

type fileSpec struct {
	data  []byte
	mode  fs.FileMode
	mtime time.Time
}

func sampleTree() map[string]fileSpec {
	big := make([]byte, 700_000)
	rand.NewChaCha8([32]byte{1}).Read(big)
	// Past 1 MiB: copied in pieces between local hosts, and in more
	// than one SFTP request.
	bigger := make([]byte, 1_300_000)
	rand.NewChaCha8([32]byte{2}).Read(bigger)
	t0 := time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC)
	return map[string]fileSpec{
		"a.bin":          {big, 0o644, t0},
		"sub/b.txt":      {[]byte("hello\n"), 0o640, t0.Add(time.Hour)},
		"sub/c.bin":      {bigger, 0o600, t0.Add(90 * time.Minute)},
		"sub/deep/empty": {nil, 0o600, t0.Add(2 * time.Hour)},
		"run.sh":         {[]byte("#!/bin/sh\necho hi\n"), 0o755, t0.Add(3 * time.Hour)},
		"conf.json":      {[]byte(`{"party_id": 9999}`), 0o644, t0.Add(4 * time.Hour)},
	}
}

// writeTree creates files under root on h, with modes and mtimes.
func writeTree(t *testing.T, h hosts.Host, root string, files map[string]fileSpec) {
	t.Helper()
	ctx := ctxT(t)
	for rel, f := range files {
		p := path.Join(root, rel)
		if err := h.MkdirAll(ctx, path.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		WriteFile(t, h, p, f.data, f.mode)
		if err := h.Chtimes(ctx, p, f.mtime, f.mtime); err != nil {
			t.Fatal(err)
		}
	}
}

// checkTree asserts root on h holds exactly files (content, mode, mtime)
// and no leftover temp file.
func checkTree(t *testing.T, h hosts.Host, root string, files map[string]fileSpec) {
	t.Helper()
	got := map[string]string{}
	want := map[string]string{}
	for rel, f := range files {
		want[rel] = describe(sha256Hex(f.data), f.mode, f.mtime)
	}
	var walk func(rel string)
	walk = func(rel string) {
		ents, err := h.ReadDir(ctxT(t), path.Join(root, rel))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			r := path.Join(rel, e.Name())
			if strings.HasSuffix(e.Name(), ".planrun-sums") {
				continue // Copy's digest record beside a copy
			}
			if e.IsDir() {
				walk(r)
				continue
			}
			got[r] = describe(sha256Hex(ReadFile(t, h, path.Join(root, r))), e.Mode(), e.ModTime())
		}
	}
	walk("")
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("tree %s on %s (-want +got):\n%s", root, h.Name(), d)
	}
}

func describe(sum string, mode fs.FileMode, mtime time.Time) string {
	return sum[:12] + " " + mode.String() + " " + mtime.UTC().Format(time.RFC3339)
}

func treeDigest(files map[string]fileSpec) string {
	return hosts.ManifestDigest(fileSums(files))
}

func fileSums(files map[string]fileSpec) map[string]string {
	sums := map[string]string{}
	for rel, f := range files {
		sums[rel] = sha256Hex(f.data)
	}
	return sums
}

// checkTreeSums asserts TreeSums of root on h lists exactly files.
func checkTreeSums(t *testing.T, h hosts.Host, root string, files map[string]fileSpec) {
	t.Helper()
	got, err := hosts.TreeSums(ctxT(t), h, root)
	if err != nil {
		t.Fatalf("TreeSums %s: %v", root, err)
	}
	if d := cmp.Diff(fileSums(files), got); d != "" {
		t.Errorf("TreeSums %s (-want +got):\n%s", root, d)
	}
}

// checkFileSums asserts FileSums of root on h finds each of files, and
// leaves out names that are missing, directories, or outside root.
func checkFileSums(t *testing.T, h hosts.Host, root string, files map[string]fileSpec) {
	t.Helper()
	names := []string{"no-such-file", "sub", "../" + path.Base(root) + "/" + firstName(files), "/etc/hostname", "./x"}
	for rel := range files {
		names = append(names, rel)
	}
	got, err := hosts.FileSums(ctxT(t), h, root, names)
	if err != nil {
		t.Fatalf("FileSums %s: %v", root, err)
	}
	if d := cmp.Diff(fileSums(files), got); d != "" {
		t.Errorf("FileSums %s (-want +got):\n%s", root, d)
	}
}

// firstName is the first of files' names in sorted order.
func firstName(files map[string]fileSpec) string {
	return slices.Sorted(maps.Keys(files))[0]
}

package fate

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

const (
	fixtureModelID = "arbiter-10000#guest-9999#host-10000#model"
	fixtureVersion = "2020080416153238910324"
)

// fixtureDir finds the real FATE 1.4.2 model data: the copy in testdata,
// else the shared one next to the repository; the test is skipped when
// neither is there.
func fixtureDir(t testing.TB) string {
	t.Helper()
	for _, d := range []string{"testdata/fate-serving-1.4.2", "../../shared/fixtures/fate-serving-1.4.2"} {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			abs, err := filepath.Abs(d)
			if err != nil {
				t.Fatal(err)
			}
			return abs
		}
	}
	t.Skip("FATE 1.4.2 fixture not found")
	return ""
}

// fixtureParty is one party's version directory of the fixture.
func fixtureParty(t testing.TB, role string, pid string) string {
	return filepath.Join(fixtureDir(t), role+"#"+pid+"#"+fixtureModelID, fixtureVersion)
}

// treeHash hashes every file (path and content) under dir.
func treeHash(t testing.TB, dir string) string {
	t.Helper()
	var names []string
	sums := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		info, err := d.Info()
		if err != nil {
			return err
		}
		names = append(names, rel)
		if d.Type().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			s := sha256.Sum256(b)
			sums[rel] = hex.EncodeToString(s[:]) + info.Mode().String() + info.ModTime().String()
		} else {
			sums[rel] = info.Mode().String()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		h.Write([]byte(n + "\x00" + sums[n] + "\n"))
	}
	return hex.EncodeToString(h.Sum(nil))
}

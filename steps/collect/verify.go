package collect

import (
	"archive/zip"
	"fmt"
	"io"
	"path"
	"strings"
)

// DefaultExpect are the entries every FATE model archive has.
var DefaultExpect = []string{"define/define_meta.yaml", "variables/data/pipeline/pipeline/Pipeline"}

// VerifyZip checks that the file at p is a whole zip archive: its central
// directory reads, no entry is absolute or climbs out with "..", every
// entry reads to the end with a matching CRC-32, and every name in expect
// is an entry. It returns the number of entries.
func VerifyZip(p string, expect []string) (int, error) {
	zr, err := zip.OpenReader(p)
	if err != nil {
		return 0, fmt.Errorf("read zip %s: %w", p, err)
	}
	defer zr.Close()
	have := map[string]bool{}
	for _, f := range zr.File {
		name := f.Name
		clean := path.Clean(strings.ReplaceAll(name, `\`, "/"))
		if path.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, "../") {
			return 0, fmt.Errorf("zip %s: unsafe entry %q", p, name)
		}
		have[strings.TrimSuffix(clean, "/")] = true
		if strings.HasSuffix(name, "/") {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return 0, fmt.Errorf("zip %s: entry %s: %w", p, name, err)
		}
		// archive/zip checks the CRC-32 and size when the entry is read to EOF.
		_, err = io.Copy(io.Discard, rc)
		rc.Close()
		if err != nil {
			return 0, fmt.Errorf("zip %s: entry %s: %w", p, name, err)
		}
	}
	var missing []string
	for _, e := range expect {
		if !have[strings.TrimSuffix(path.Clean(e), "/")] {
			missing = append(missing, e)
		}
	}
	if len(missing) > 0 {
		return 0, fmt.Errorf("zip %s: missing %s", p, strings.Join(missing, ", "))
	}
	return len(zr.File), nil
}

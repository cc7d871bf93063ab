package collect

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/planrun/planrun/fate"
)

// DefaultExpect are the entries every FATE model archive has.
var DefaultExpect = []string{"define/define_meta.yaml", "variables/data/pipeline/pipeline/Pipeline"}

// VerifyZip checks that the file at p is a whole zip archive: its central
// directory reads, its entries pass fate.CheckZipEntries (no traversal,
// links, special files, twins or zip bombs), every entry reads to the end
// with a matching CRC-32, and every name in expect is an entry. It returns
// the number of entries.
func VerifyZip(p string, expect []string) (int, error) {
	zr, err := zip.OpenReader(p)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) { // refused below, with the entry named
		return 0, fmt.Errorf("read zip %s: %w", p, err)
	}
	defer zr.Close()
	if err := fate.CheckZipEntries(zr.File, fate.ZipLimits{}); err != nil {
		return 0, fmt.Errorf("zip %s: %w", p, err)
	}
	have := map[string]bool{}
	for _, f := range zr.File {
		name := f.Name
		have[strings.TrimSuffix(name, "/")] = true
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

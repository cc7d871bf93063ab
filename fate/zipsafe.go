package fate

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
)

// ZipLimits bound what reading an archive may unpack (a zip bomb guard).
type ZipLimits struct {
	MaxBytes   int64 // total uncompressed size
	MaxEntries int
}

// DefaultZipLimits allow models up to 16 GiB in 200 000 files.
var DefaultZipLimits = ZipLimits{MaxBytes: 16 << 30, MaxEntries: 200_000}

func (l ZipLimits) orDefault() ZipLimits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultZipLimits.MaxBytes
	}
	if l.MaxEntries <= 0 {
		l.MaxEntries = DefaultZipLimits.MaxEntries
	}
	return l
}

// openZip opens an archive and checks every entry before anything is
// read from it: no absolute, "..", backslash or drive-letter names, no
// symlinks or special files, no duplicates, and the declared sizes and
// entry count within lim.
func openZip(path string, lim ZipLimits) (*zip.ReadCloser, error) {
	lim = lim.orDefault()
	r, err := zip.OpenReader(path)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		if r != nil {
			r.Close()
		}
		if errors.Is(err, zip.ErrFormat) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("read zip %s: not a zip archive, or truncated: %w", path, err)
		}
		return nil, fmt.Errorf("read zip %s: %w", path, err)
	}
	if err := checkZipEntries(r.File, lim); err != nil {
		r.Close()
		return nil, fmt.Errorf("read zip %s: %w", path, err)
	}
	return r, nil
}

func checkZipEntries(files []*zip.File, lim ZipLimits) error {
	if len(files) > lim.MaxEntries {
		return fmt.Errorf("%d entries exceed the limit of %d (zip bomb?)", len(files), lim.MaxEntries)
	}
	var total uint64
	seen := make(map[string]bool, len(files))
	for _, f := range files {
		if err := checkZipName(f.Name); err != nil {
			return fmt.Errorf("entry %q: %w", f.Name, err)
		}
		mode := f.Mode()
		switch {
		case mode&fs.ModeSymlink != 0:
			return fmt.Errorf("entry %q: symlinks are not allowed", f.Name)
		case mode.Type()&^fs.ModeDir != 0:
			return fmt.Errorf("entry %q: special file (%v) not allowed", f.Name, mode.Type())
		case strings.HasSuffix(f.Name, "/") && f.UncompressedSize64 > 0:
			return fmt.Errorf("entry %q: directory with content", f.Name)
		}
		name := strings.TrimSuffix(f.Name, "/")
		if seen[name] {
			return fmt.Errorf("entry %q: appears twice", f.Name)
		}
		seen[name] = true
		total += f.UncompressedSize64
		if total > uint64(lim.MaxBytes) {
			return fmt.Errorf("uncompressed size exceeds the limit of %d bytes (zip bomb?)", lim.MaxBytes)
		}
	}
	return nil
}

// checkZipName refuses names that could escape the target directory.
func checkZipName(name string) error {
	switch {
	case name == "":
		return errors.New("empty name")
	case strings.Contains(name, "\\"):
		return errors.New("backslash in name (path traversal?)")
	case strings.HasPrefix(name, "/"):
		return errors.New("absolute path")
	case len(name) >= 2 && name[1] == ':':
		return errors.New("drive letter in name")
	case strings.ContainsRune(name, 0):
		return errors.New("NUL in name")
	}
	elems := strings.Split(strings.TrimSuffix(name, "/"), "/")
	for _, e := range elems {
		switch e {
		case "..":
			return errors.New("\"..\" in name (path traversal)")
		case ".", "":
			return errors.New("empty or \".\" path element")
		}
	}
	return nil
}

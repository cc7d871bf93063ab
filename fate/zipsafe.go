package fate

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
)

// ZipLimits bound what reading an archive may unpack (a zip bomb guard).
type ZipLimits struct {
	MaxBytes   int64 // total uncompressed size
	MaxEntries int
}

// maxRatio bounds how many times its packed size an entry larger than
// ratioFloor may unpack to. Deflate reaches about 1,000 on repeated bytes;
// model buffers (protobuf, JSON of numbers) pack 2-20 times. Without it a
// 5 MB archive could unpack a 1 GiB "buffer" into memory well within
// MaxBytes.
const (
	maxRatio   = 200
	ratioFloor = 16 << 20
)

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
// read from it (see CheckZipEntries).
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
	if err := CheckZipEntries(r.File, lim); err != nil {
		r.Close()
		return nil, fmt.Errorf("read zip %s: %w", path, err)
	}
	return r, nil
}

// CheckZipEntries checks an archive's entries before anything is
// unpacked or read from it: no absolute, "..", backslash or drive-letter
// names, no symlinks or special files, no name twice, no file that is
// also another entry's directory, no entry (nor the whole archive)
// unpacking to over 200 times its packed size (above 16 MiB), and the
// declared sizes and entry count
// within lim (zero fields: DefaultZipLimits').
func CheckZipEntries(files []*zip.File, lim ZipLimits) error {
	lim = lim.orDefault()
	if len(files) > lim.MaxEntries {
		return fmt.Errorf("%d entries exceed the limit of %d (zip bomb?)", len(files), lim.MaxEntries)
	}
	var total, packed uint64
	isFile := make(map[string]bool, len(files)) // every name: is it a file?
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
		case f.UncompressedSize64 > ratioFloor && f.UncompressedSize64/max(f.CompressedSize64, 1) > maxRatio:
			return fmt.Errorf("entry %q: unpacks to %d bytes from %d, over %d times its packed size (zip bomb?)",
				f.Name, f.UncompressedSize64, f.CompressedSize64, maxRatio)
		}
		name := strings.TrimSuffix(f.Name, "/")
		if _, dup := isFile[name]; dup {
			return fmt.Errorf("entry %q: appears twice", f.Name)
		}
		isFile[name] = !strings.HasSuffix(f.Name, "/")
		total += f.UncompressedSize64
		packed += f.CompressedSize64
		if total > uint64(lim.MaxBytes) {
			return fmt.Errorf("uncompressed size exceeds the limit of %d bytes (zip bomb?)", lim.MaxBytes)
		}
	}
	// The same bound for the whole archive: many entries each just under
	// ratioFloor would pass one by one.
	if total > ratioFloor && total/max(packed, 1) > maxRatio {
		return fmt.Errorf("the archive unpacks to %d bytes from %d, over %d times its packed size (zip bomb?)", total, packed, maxRatio)
	}
	// A file must not also be a directory of another entry ("a" and
	// "a/b"): unpacked, one would replace or fail on the other.
	for _, f := range files {
		name := strings.TrimSuffix(f.Name, "/")
		for dir := path.Dir(name); dir != "."; dir = path.Dir(dir) {
			if isFile[dir] {
				return fmt.Errorf("entry %q: %q is a file in this archive, not a directory", f.Name, dir)
			}
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

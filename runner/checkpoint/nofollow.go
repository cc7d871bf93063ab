package checkpoint

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// A state directory may come from elsewhere (a CI artifact), so the files
// and directories planrun keeps in it are opened as what planrun made
// them: never through a symbolic link, which could point a write (the
// lock is truncated, a log created) at any file the user can write. The
// state directory itself may be a link: the user names it.

// EntryError says an entry of the state directory is a symbolic link, or
// not the kind of file planrun keeps there (a named pipe, a device).
type EntryError struct {
	Path string
	Type fs.FileMode // the entry's type bits
	Dir  bool        // planrun keeps a directory there
}

func (e *EntryError) Error() string {
	if e.Type&fs.ModeSymlink != 0 {
		return fmt.Sprintf("%s is a symbolic link: planrun does not follow links inside a state directory", e.Path)
	}
	if e.Dir {
		return fmt.Sprintf("%s is not a directory (%s)", e.Path, typeName(e.Type))
	}
	return fmt.Sprintf("%s is not a regular file (%s)", e.Path, typeName(e.Type))
}

func typeName(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m.IsRegular():
		return "a file"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "type " + m.Type().String()
}

// openState opens path, a file of the state directory, with flag (and
// perm, when it creates it). A symbolic link, or anything but a regular
// file, in its place is an *EntryError.
func openState(path string, flag int, perm fs.FileMode) (*os.File, error) {
	if oNoFollow == 0 {
		if err := notLink(path); err != nil {
			return nil, err
		}
	}
	f, err := os.OpenFile(path, flag|oNoFollow|oNonBlock, perm)
	if err != nil {
		if lerr := notLink(path); lerr != nil {
			return nil, lerr
		}
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, &EntryError{Path: path, Type: fi.Mode().Type()}
	}
	return f, nil
}

// readState reads path, a file of the state directory, as openState
// opens it.
func readState(path string) ([]byte, error) {
	f, err := openState(path, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// notLink returns an *EntryError if path is a symbolic link.
func notLink(path string) error {
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		return &EntryError{Path: path, Type: fi.Mode().Type()}
	}
	return nil
}

// stateDir checks that path, a directory planrun made in the state
// directory, is one: a symbolic link or anything else in its place is an
// *EntryError. A missing directory is not an error here.
func stateDir(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return &EntryError{Path: path, Type: fi.Mode().Type(), Dir: true}
	}
	return nil
}

package hosts

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"time"

	"github.com/pkg/sftp"

	"github.com/planrun/planrun/internal/humanize"
)

// explainFailure adds why a write to rp failed when the server said only
// "Failure" (SSH_FX_FAILURE, which OpenSSH's server sends for every error
// SFTP version 3 has no code for: a full disk, a read-only file system,
// a quota, no inodes left): the free space and inodes and the read-only
// flag of the file system holding rp (or its nearest existing parent),
// asked with OpenSSH's statvfs extension. Other errors, and failures it cannot
// explain, come back as they are.
func explainFailure(c *sftp.Client, rp string, err error) error {
	var se *sftp.StatusError
	if c == nil || !errors.As(err, &se) || se.FxCode() != sftp.ErrSSHFxFailure {
		return err
	}
	why := fsTrouble(c, rp)
	if why == "" {
		return err
	}
	return fmt.Errorf("%w (%s)", err, why)
}

// fsTrouble describes what stops writes on the file system holding p,
// or "" if nothing shows (or the server cannot tell).
func fsTrouble(c *sftp.Client, p string) string {
	type answer struct {
		st  *sftp.StatVFS
		err error
	}
	done := make(chan answer, 1)
	go func() {
		// The nearest directory that exists: a failed mkdir or
		// create leaves p absent.
		for {
			st, err := c.StatVFS(p)
			if err == nil || p == "/" || p == "." || !errors.Is(err, fs.ErrNotExist) {
				done <- answer{st, err}
				return
			}
			p = path.Dir(p)
		}
	}()
	var a answer
	select {
	case a = <-done:
	case <-time.After(5 * time.Second): // a server that no longer answers
		return ""
	}
	if a.err != nil {
		return ""
	}
	return describeFS(fsStat{free: a.st.Bavail * a.st.Frsize, size: a.st.Blocks * a.st.Frsize,
		files: a.st.Files, freeFiles: a.st.Favail, readOnly: a.st.Flag&stRdonly != 0})
}

// stRdonly is statvfs's ST_RDONLY flag.
const stRdonly = 1

// fsStat is what describeFS needs of a file system's statvfs.
type fsStat struct {
	free, size       uint64 // bytes
	files, freeFiles uint64
	readOnly         bool
}

// WriteTrouble says what would stop writes under p on h's file system:
// read-only, full (under 1 MiB free) or out of inodes; "" when nothing shows, or when
// the host cannot tell (an SFTP server without OpenSSH's statvfs).
func WriteTrouble(ctx context.Context, h Host, p string) string {
	switch h := h.(type) {
	case *SSH:
		c, err := h.connect(ctx)
		if err != nil {
			return ""
		}
		return fsTrouble(c.sftp(), h.resolve(p))
	case *Local:
		return localFSTrouble(h.Resolve(p))
	}
	return ""
}

// describeFS is what stops writes on a file system, from its statvfs.
func describeFS(st fsStat) string {
	switch {
	case st.readOnly:
		return "the file system there is read-only"
	case st.free < 1<<20:
		return fmt.Sprintf("no space left on the file system there: %s free of %s", humanize.Bytes(int64(st.free)), humanize.Bytes(int64(st.size)))
	case st.files > 0 && st.freeFiles == 0:
		return "no inodes left on the file system there (too many files)"
	}
	return ""
}

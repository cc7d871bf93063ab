package hosts

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"time"

	"github.com/pkg/sftp"
)

// explainFailure adds why a write to rp failed when the server said only
// "Failure" (SSH_FX_FAILURE, which OpenSSH's server sends for every error
// SFTP version 3 has no code for: a full disk, a read-only file system,
// a quota, no inodes left): the free space and inodes and the read-only flag of the
// file system holding rp (or its nearest existing parent), asked with
// OpenSSH's statvfs extension. Other errors, and failures it cannot
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
	return describeFS(a.st)
}

// describeFS is what stops writes on a file system, from its statvfs.
func describeFS(st *sftp.StatVFS) string {
	const stRdonly = 1 // ST_RDONLY
	free := st.Bavail * st.Frsize
	switch {
	case st.Flag&stRdonly != 0:
		return "the file system there is read-only"
	case free < 1<<20:
		return fmt.Sprintf("no space left on the file system there: %s free of %s", sizeText(free), sizeText(st.Blocks*st.Frsize))
	case st.Files > 0 && st.Favail == 0:
		return "no inodes left on the file system there (too many files)"
	}
	return ""
}

// sizeText is n bytes in the largest binary unit that keeps it >= 1.
func sizeText(n uint64) string {
	const units = "KMGTPE"
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n)/1024, 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	return fmt.Sprintf("%.1f %ciB", v, units[i])
}

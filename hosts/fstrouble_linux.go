package hosts

import (
	"errors"
	"io/fs"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// localFSTrouble is fsTrouble for a local path (or its nearest existing
// parent).
func localFSTrouble(p string) string {
	for {
		var st unix.Statfs_t
		err := unix.Statfs(p, &st)
		if err == nil {
			return describeFS(fsStat{free: uint64(st.Bavail) * uint64(st.Bsize), size: uint64(st.Blocks) * uint64(st.Bsize),
				files: uint64(st.Files), freeFiles: uint64(st.Ffree), readOnly: st.Flags&unix.ST_RDONLY != 0})
		}
		parent := filepath.Dir(p)
		if !errors.Is(err, fs.ErrNotExist) || parent == p {
			return ""
		}
		p = parent
	}
}

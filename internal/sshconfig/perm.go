package sshconfig

import (
	"fmt"
	"os"
	"syscall"
)

// checkOwner refuses a user's configuration file that someone else could
// have written (another owner than the user or root, or writable by group
// or others), as ssh does: such a file could send the connection to
// another host, with known_hosts of its choosing.
func checkOwner(name string) error {
	fi, err := os.Stat(name)
	if err != nil {
		return fmt.Errorf("read ssh config: %w", err)
	}
	uid := os.Getuid()
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Uid != 0 && int(st.Uid) != uid {
		return fmt.Errorf("%s: bad owner (uid %d; want yours, %d, or root's), as ssh would refuse it", name, st.Uid, uid)
	}
	if fi.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("%s: bad permissions %v: writable by group or others (chmod go-w %s), as ssh would refuse it",
			name, fi.Mode().Perm(), name)
	}
	return nil
}

package sshconfig

import (
	"fmt"
	"io"
	"os"
	"syscall"
)

// readConfig reads a configuration file. With check, a file that someone
// else could have written (another owner than the user or root, or
// writable by group or others) is refused, as ssh refuses a user's: such
// a file could send the connection to another host, with known_hosts of
// its choosing. The check is on the file read, not on its name.
func readConfig(name string, check bool) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("read ssh config: %w", err)
	}
	defer f.Close()
	if check {
		fi, err := f.Stat()
		if err != nil {
			return nil, fmt.Errorf("read ssh config: %w", err)
		}
		uid := os.Getuid()
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Uid != 0 && int(st.Uid) != uid {
			return nil, fmt.Errorf("%s: bad owner (uid %d; want yours, %d, or root's), as ssh would refuse it", name, st.Uid, uid)
		}
		if fi.Mode().Perm()&0o022 != 0 {
			return nil, fmt.Errorf("%s: bad permissions %v: writable by group or others (chmod go-w %s), as ssh would refuse it",
				name, fi.Mode().Perm(), name)
		}
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("read ssh config: %w", err)
	}
	return data, nil
}

//go:build unix

package checkpoint

import "syscall"

// oNoFollow makes an open fail on a symbolic link in the last place of
// the path; oNonBlock keeps a named pipe in a file's place from blocking
// the open (the file is then refused: see openState).
const (
	oNoFollow = syscall.O_NOFOLLOW
	oNonBlock = syscall.O_NONBLOCK
)

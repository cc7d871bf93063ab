// Package testnet helps tests that need network addresses.
package testnet

import (
	"fmt"
	"syscall"
	"testing"
)

// RefusedAddr returns a 127.0.0.1 address where connections are refused,
// for as long as the test runs. The port is bound but never listened on,
// so no other server of a test running at the same time can take it (a
// port that was listened on and closed can be reused at once, and a
// connection there would then reach that server instead).
func RefusedAddr(t testing.TB) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	in, ok := sa.(*syscall.SockaddrInet4)
	if !ok {
		t.Fatalf("bound to %v", sa)
	}
	return fmt.Sprintf("127.0.0.1:%d", in.Port)
}

package hosts

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
)

// TestConnLost: the errors a dropped connection gives, however wrapped,
// count as lost; a server's refusal does not.
func TestConnLost(t *testing.T) {
	opErr := func(e error) error {
		return &net.OpError{Op: "write", Net: "tcp", Err: os.NewSyscallError("write", e)}
	}
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"eof", io.EOF, true},
		{"unexpected eof", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), true},
		{"closed", fmt.Errorf("x: %w", net.ErrClosed), true},
		{"broken pipe", fmt.Errorf("failed to send packet: %w", opErr(syscall.EPIPE)), true},
		{"reset", opErr(syscall.ECONNRESET), true},
		{"permission", &os.PathError{Op: "open", Path: "x", Err: os.ErrPermission}, false},
		{"other", errors.New("sftp: \"Failure\" (SSH_FX_FAILURE)"), false},
	} {
		if got := connLost(tc.err); got != tc.want {
			t.Errorf("%s: connLost(%v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
}

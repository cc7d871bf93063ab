package hosts

import (
	"net"
	"syscall"
)

// quickAck makes the kernel acknowledge what arrives on nc at once, after
// every read, instead of delaying the ACK up to 40 ms. OpenSSH's sshd does
// not set TCP_NODELAY on non-interactive sessions, so when it writes two
// small packets in a row (a channel's confirmation, then its first data)
// Nagle holds the second until the first is acknowledged: with delayed
// ACKs, 40 ms per exchange (seen when every SFTP or exec session opened).
func quickAck(nc net.Conn) net.Conn {
	tc, ok := nc.(*net.TCPConn)
	if !ok {
		return nc
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return nc
	}
	q := &quickAckConn{TCPConn: tc, rc: rc}
	q.set()
	return q
}

type quickAckConn struct {
	*net.TCPConn
	rc syscall.RawConn
}

func (q *quickAckConn) set() {
	q.rc.Control(func(fd uintptr) {
		syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_QUICKACK, 1)
	})
}

func (q *quickAckConn) Read(b []byte) (int, error) {
	n, err := q.TCPConn.Read(b)
	if n > 0 {
		q.set() // Linux leaves quick-ACK mode on its own: set it again
	}
	return n, err
}

package hosts

import (
	"net"
	"sync"
)

// batchConn passes writes to its connection from a goroutine of its own,
// joining whatever was written while the last write was in the kernel
// into the next one. x/crypto/ssh encrypts and writes each packet with a
// lock held, one write per packet: with many files in flight the packets
// queued on that lock while each went through the loopback stack (the
// receiver's processing included). Here a write only copies the packet,
// the lock is free again at once, and packets written meanwhile leave in
// one write, so encrypting and sending overlap. A write error is returned
// by the next Write (the connection is then useless anyway).
type batchConn struct {
	net.Conn
	mu      sync.Mutex
	wake    sync.Cond // the flusher: there is something to write, or closing
	room    sync.Cond // writers: the pending bytes went out
	pending []byte
	spare   []byte
	err     error
	closed  bool
}

// batchMax bounds the bytes waiting to be written (writers block beyond).
const batchMax = 1 << 20

func newBatchConn(c net.Conn) *batchConn {
	b := &batchConn{Conn: c}
	b.wake.L, b.room.L = &b.mu, &b.mu
	go b.flush()
	return b
}

func (b *batchConn) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for len(b.pending) >= batchMax && b.err == nil && !b.closed {
		b.room.Wait()
	}
	if b.err != nil {
		return 0, b.err
	}
	if b.closed {
		return 0, net.ErrClosed
	}
	b.pending = append(b.pending, p...)
	b.wake.Signal()
	return len(p), nil
}

func (b *batchConn) flush() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for {
		for len(b.pending) == 0 && !b.closed {
			b.wake.Wait()
		}
		if len(b.pending) == 0 {
			return
		}
		out := b.pending
		b.pending = b.spare[:0]
		b.mu.Unlock()
		_, err := b.Conn.Write(out)
		b.mu.Lock()
		b.spare = out
		if err != nil && b.err == nil {
			b.err = err
		}
		b.room.Broadcast()
		if b.err != nil {
			return
		}
	}
}

// Close closes the connection at once (it never waits for a peer that
// does not read); what is still pending is dropped, as closing a socket
// drops what its peer has not read.
func (b *batchConn) Close() error {
	b.mu.Lock()
	b.closed = true
	b.wake.Signal()
	b.room.Broadcast()
	b.mu.Unlock()
	return b.Conn.Close()
}

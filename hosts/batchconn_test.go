package hosts

import (
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

func tcpPair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	if server == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

// TestBatchConnOrder: what many writers write, each write whole (as the
// SSH transport writes a packet under its lock), arrives complete and in
// the order of the writes.
func TestBatchConnOrder(t *testing.T) {
	c, s := tcpPair(t)
	b := newBatchConn(c)
	const writers, each = 8, 200
	var mu sync.Mutex // the transport's lock: one write at a time, in order
	var sent bytes.Buffer
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				rec := bytes.Repeat([]byte{byte(w)}, 4+(i*131)%10000)
				binary.BigEndian.PutUint32(rec, uint32(i))
				mu.Lock()
				sent.Write(rec)
				_, err := b.Write(rec)
				mu.Unlock()
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	total := 0
	for range writers {
		for i := range each {
			total += 4 + (i*131)%10000
		}
	}
	got := make(chan []byte, 1)
	go func() {
		data := make([]byte, total)
		s.SetReadDeadline(time.Now().Add(20 * time.Second))
		n, _ := io.ReadFull(s, data)
		got <- data[:n]
	}()
	wg.Wait()
	if data := <-got; !bytes.Equal(data, sent.Bytes()) {
		t.Fatalf("received %d bytes, not the %d written in order", len(data), sent.Len())
	}
}

// TestBatchConnErrors: once the connection fails, writes report it; Close
// returns at once even with bytes pending that nobody reads.
func TestBatchConnErrors(t *testing.T) {
	c, s := tcpPair(t)
	b := newBatchConn(c)
	big := make([]byte, 4<<20) // more than the socket buffers hold: the flusher blocks
	if _, err := b.Write(big); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- b.Close() }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close waited for a peer that does not read")
	}
	if _, err := b.Write([]byte("x")); err == nil {
		t.Error("write after Close succeeded")
	}

	c2, s2 := tcpPair(t)
	b2 := newBatchConn(c2)
	s2.(*net.TCPConn).SetLinger(0)
	s2.Close() // reset
	s.Close()
	var err error
	for i := 0; i < 200 && err == nil; i++ {
		_, err = b2.Write(make([]byte, 64<<10))
		time.Sleep(time.Millisecond)
	}
	if err == nil || !connLost(err) {
		t.Errorf("writes to a reset connection: %v; want a lost-connection error", err)
	}
}

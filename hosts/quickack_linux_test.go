package hosts

import (
	"io"
	"net"
	"testing"
)

// TestQuickAck: TCP connections are wrapped (and read through), others
// left as they are.
func TestQuickAck(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			c.Write([]byte("hello"))
			c.Close()
		}
	}()
	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c := quickAck(nc)
	defer c.Close()
	if _, ok := c.(*quickAckConn); !ok {
		t.Fatalf("quickAck(TCP conn) = %T, want *quickAckConn", c)
	}
	if b, err := io.ReadAll(c); err != nil || string(b) != "hello" {
		t.Fatalf("read %q, %v", b, err)
	}
	p1, p2 := net.Pipe()
	defer p1.Close()
	defer p2.Close()
	if got := quickAck(p1); got != p1 {
		t.Errorf("quickAck(pipe) = %T, want the pipe itself", got)
	}
}

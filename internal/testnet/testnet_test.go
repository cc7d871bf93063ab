package testnet_test

import (
	"errors"
	"net"
	"syscall"
	"testing"

	"github.com/planrun/planrun/internal/testnet"
)

func TestRefusedAddr(t *testing.T) {
	addr := testnet.RefusedAddr(t)
	if _, err := net.Dial("tcp", addr); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("dial %s: %v, want connection refused", addr, err)
	}
	if l, err := net.Listen("tcp", addr); err == nil {
		l.Close()
		t.Errorf("another listener could take %s", addr)
	}
}

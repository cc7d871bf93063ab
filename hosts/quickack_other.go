//go:build !linux

package hosts

import "net"

// quickAck is a no-op where TCP_QUICKACK does not exist.
func quickAck(nc net.Conn) net.Conn { return nc }

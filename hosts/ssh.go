package hosts

import (
	"context"
	"fmt"
)

// SSHOptions configure an SSH host.
type SSHOptions struct {
	// Jump resolves a jump host name to an inventory SSH host; ok=false
	// means the name is not an inventory host (it is then user@host[:port]).
	Jump func(ctx context.Context, name string) (h *SSH, ok bool, err error)
}

// SSH is a host reached over SSH/SFTP.
type SSH struct{ Host }

// NewSSH returns an SSH host; it connects on first use.
func NewSSH(name string, spec Spec, opts SSHOptions) (*SSH, error) {
	return nil, fmt.Errorf("host %s: ssh hosts are not implemented yet", name)
}

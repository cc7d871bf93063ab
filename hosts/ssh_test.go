package hosts_test

import (
	"testing"

	"github.com/planrun/planrun/hosts"
	"github.com/planrun/planrun/hosts/hoststest"
	"github.com/planrun/planrun/hosts/sshtest"
)

func TestInProcessSSHConformance(t *testing.T) {
	hoststest.Run(t, func(t *testing.T) hosts.Host {
		return sshtest.StartInProcess(t).Host(t, "remote")
	})
}

func TestOpenSSHConformance(t *testing.T) {
	hoststest.Run(t, func(t *testing.T) hosts.Host {
		return sshtest.StartSSHD(t).Host(t, "sshd")
	})
}

package hosts_test

import (
	"testing"

	"github.com/planrun/planrun/hosts"
	"github.com/planrun/planrun/hosts/hoststest"
	"github.com/planrun/planrun/hosts/sshtest"
)

func TestInProcessSSHConformance(t *testing.T) {
	srv := sshtest.StartInProcess(t)
	hoststest.Run(t, func(t *testing.T) hosts.Host { return srv.NewHost(t, "remote") })
}

func TestOpenSSHConformance(t *testing.T) {
	srv := sshtest.StartSSHD(t)
	hoststest.Run(t, func(t *testing.T) hosts.Host { return srv.NewHost(t, "sshd") })
}

package hosts_test

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/planrun/planrun/hosts"
	"github.com/planrun/planrun/hosts/sshtest"
)

// TestSSHUserCertificate logs in with a key the server does not know,
// through a certificate its user CA signed: found next to the key (as
// ssh looks for KEY-cert.pub) or named by ssh_config's CertificateFile,
// against the in-process server and OpenSSH's sshd (TrustedUserCAKeys).
func TestSSHUserCertificate(t *testing.T) {
	servers := map[string]func(testing.TB) *sshtest.Server{
		"in-process": sshtest.StartInProcess,
		"sshd":       sshtest.StartSSHD,
	}
	for name, start := range servers {
		t.Run(name, func(t *testing.T) {
			srv := start(t)
			dir := t.TempDir()
			key := sshtest.NewKey(t) // not in authorized_keys
			keyFile := filepath.Join(dir, "id_ed25519")
			key.WriteFile(t, keyFile)
			good := srv.UserCert(t, key, srv.User)
			elsewhere := filepath.Join(dir, "certs", "mine-cert.pub")
			os.MkdirAll(filepath.Dir(elsewhere), 0o700)
			sshtest.WriteCert(t, elsewhere, good)
			notCert := filepath.Join(dir, "not-a-cert.pub")
			os.WriteFile(notCert, key.AuthorizedKey(), 0o644)

			tests := map[string]struct {
				cert    *ssh.Certificate // written to KEY-cert.pub
				config  string           // an ssh_config line for every host
				wantErr string
			}{
				"next to the key":   {cert: good},
				"CertificateFile":   {config: "CertificateFile " + elsewhere},
				"no certificate":    {wantErr: "unable to authenticate"},
				"another user's":    {cert: srv.UserCert(t, key, "someone-else"), wantErr: "unable to authenticate"},
				"not a certificate": {config: "CertificateFile " + notCert, wantErr: notCert + ": not an OpenSSH user certificate"},
			}
			for name, tc := range tests {
				t.Run(name, func(t *testing.T) {
					os.Remove(keyFile + "-cert.pub")
					if tc.cert != nil {
						sshtest.WriteCert(t, keyFile+"-cert.pub", tc.cert)
					}
					t.Setenv("SSH_AUTH_SOCK", "")
					spec := hosts.Spec{SSH: srv.User + "@" + srv.Addr, KnownHosts: srv.KnownHosts,
						IdentityFiles: []string{keyFile}, SSHConfig: writeConfig(t, tc.config+"\n"), ConnectTimeout: "10s"}
					h, err := hosts.NewSSH("a", spec, hosts.SSHOptions{})
					if err != nil {
						t.Fatal(err)
					}
					defer h.Close()
					if !loginRuns(t, h, tc.wantErr) {
						return
					}
				})
			}
		})
	}
}

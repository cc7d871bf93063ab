package sshtest

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/planrun/planrun/hosts"
)

// Server is a running test SSH server.
type Server struct {
	Addr         string // 127.0.0.1:port
	User         string
	IdentityFile string // private key the server accepts
	KnownHosts   string // known_hosts holding the server's host key
	Dir          string // an empty directory for the test (the Spec's Root)

	HostKey *Key
	UserKey *Key
	// UserCA signs user certificates the server accepts (for User).
	UserCA *Key
	// HostCA signed the host certificate the server presents to clients
	// that ask for one (principal 127.0.0.1, valid for a day), as well as
	// its plain HostKey.
	HostCA *Key

	inproc *inProcess // nil for sshd
}

// Spec returns an inventory entry that reaches the server, with relative
// paths resolving in Dir.
func (s *Server) Spec() hosts.Spec {
	return hosts.Spec{
		SSH:            s.User + "@" + s.Addr,
		IdentityFiles:  []string{s.IdentityFile},
		KnownHosts:     s.KnownHosts,
		ConnectTimeout: "10s",
		Root:           s.Dir,
	}
}

// Host returns a new SSH host for the server, closed when the test ends.
func (s *Server) Host(t testing.TB, name string) *hosts.SSH {
	t.Helper()
	h, err := hosts.NewSSH(name, s.Spec(), hosts.SSHOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// NewHost returns a new SSH host (its own connection) rooted in a fresh
// subdirectory of Dir, closed when the test ends. Tests share one server
// this way instead of starting one each.
func (s *Server) NewHost(t testing.TB, name string) *hosts.SSH {
	t.Helper()
	dir, err := os.MkdirTemp(s.Dir, "host-")
	if err != nil {
		t.Fatal(err)
	}
	spec := s.Spec()
	spec.Root = dir
	h, err := hosts.NewSSH(name, spec, hosts.SSHOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// newServer generates the keys and writes the identity file under base.
func newServer(t testing.TB, base string) *Server {
	t.Helper()
	s := &Server{Dir: filepath.Join(base, "root")}
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	s.User = u.Username
	s.HostKey = NewKey(t)
	s.UserKey = NewKey(t)
	s.UserCA = NewKey(t)
	s.HostCA = NewKey(t)
	s.IdentityFile = filepath.Join(base, "id_ed25519")
	s.UserKey.WriteFile(t, s.IdentityFile)
	return s
}

// Key is a generated ed25519 key pair.
type Key struct {
	Private ed25519.PrivateKey
	Signer  ssh.Signer
}

// Public returns the public half.
func (k *Key) Public() ssh.PublicKey { return k.Signer.PublicKey() }

// NewKey generates an ed25519 key.
func NewKey(t testing.TB) *Key {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return &Key{Private: priv, Signer: s}
}

// WriteFile writes the private key in OpenSSH format (mode 0600).
func (k *Key) WriteFile(t testing.TB, path string) {
	t.Helper()
	blk, err := ssh.MarshalPrivateKey(k.Private, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(blk), 0o600); err != nil {
		t.Fatal(err)
	}
}

// UserCert returns a user certificate for key, signed by the server's
// UserCA, valid for an hour for the given principals (user names).
func (s *Server) UserCert(t testing.TB, key *Key, principals ...string) *ssh.Certificate {
	t.Helper()
	now := time.Now()
	c := &ssh.Certificate{Key: key.Public(), CertType: ssh.UserCert, KeyId: "planrun-test",
		ValidPrincipals: principals, ValidAfter: uint64(now.Add(-time.Minute).Unix()),
		ValidBefore: uint64(now.Add(time.Hour).Unix())}
	if err := c.SignCert(rand.Reader, s.UserCA.Signer); err != nil {
		t.Fatal(err)
	}
	return c
}

// HostCert returns a host certificate for key signed by ca, valid for a
// day for the given principals (host names).
func HostCert(t testing.TB, key, ca *Key, principals ...string) *ssh.Certificate {
	t.Helper()
	now := time.Now()
	c := &ssh.Certificate{Key: key.Public(), CertType: ssh.HostCert, KeyId: "planrun-test-host",
		ValidPrincipals: principals, ValidAfter: uint64(now.Add(-time.Minute).Unix()),
		ValidBefore: uint64(now.Add(24 * time.Hour).Unix())}
	if err := c.SignCert(rand.Reader, ca.Signer); err != nil {
		t.Fatal(err)
	}
	return c
}

// hostSigners are what a server presents: its plain key, and its
// certificate (signed by HostCA) to clients that ask for certificates.
func (s *Server) hostSigners(t testing.TB) []ssh.Signer {
	cs, err := ssh.NewCertSigner(HostCert(t, s.HostKey, s.HostCA, "127.0.0.1"), s.HostKey.Signer)
	if err != nil {
		t.Fatal(err)
	}
	return []ssh.Signer{s.HostKey.Signer, cs}
}

// WriteCert writes a certificate as ssh-keygen does (one line, as in a
// -cert.pub file).
func WriteCert(t testing.TB, path string, c *ssh.Certificate) {
	t.Helper()
	if err := os.WriteFile(path, ssh.MarshalAuthorizedKey(c), 0o644); err != nil {
		t.Fatal(err)
	}
}

// AuthorizedKey returns the key as an authorized_keys line.
func (k *Key) AuthorizedKey() []byte { return ssh.MarshalAuthorizedKey(k.Public()) }

// WriteKnownHosts writes a known_hosts file saying addr has key.
func WriteKnownHosts(t testing.TB, path, addr string, key ssh.PublicKey) {
	t.Helper()
	line := knownhosts.Line([]string{knownhosts.Normalize(addr)}, key) + "\n"
	if err := os.WriteFile(path, []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
}

func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

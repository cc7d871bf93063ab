package hosts

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// authMethods: the identity files (or, when none is given, the usual
// ~/.ssh/id_* keys that exist), each with its certificate when a
// "-cert.pub" file lies next to it, ssh_config's CertificateFiles, and
// the ssh-agent (SSH_AUTH_SOCK, or ssh_config's IdentityAgent), offered
// as one public-key method (the SSH client tries each method once). A
// certificate is offered before its plain key, as ssh does.
func (h *SSH) authMethods() ([]ssh.AuthMethod, func(), error) {
	files := append(h.spec.IdentityFiles[:len(h.spec.IdentityFiles):len(h.spec.IdentityFiles)], h.configKeys...)
	// The spec's files must exist; ssh_config's and the usual ones are
	// skipped when missing (as ssh does).
	explicit := len(h.spec.IdentityFiles)
	if len(files) == 0 {
		if home, err := os.UserHomeDir(); err == nil {
			for _, n := range []string{"id_ed25519", "id_ecdsa", "id_rsa"} {
				files = append(files, filepath.Join(home, ".ssh", n))
			}
		}
	}
	var k keyring
	var protected []string
	for i, f := range files {
		p, err := expandHome(f)
		if err != nil {
			return nil, nil, err
		}
		b, err := readKey(p)
		if err != nil {
			if i < explicit {
				return nil, nil, fmt.Errorf("read identity file: %w", err)
			}
			continue // as ssh, which warns and goes on without the key
		}
		if err := k.addCert(p+"-cert.pub", false); err != nil {
			return nil, nil, err
		}
		s, err := ssh.ParsePrivateKey(b)
		var pm *ssh.PassphraseMissingError
		if errors.As(err, &pm) {
			// Its key may be loaded into the agent.
			protected = append(protected, p)
			k.own(protectedPublicKey(pm, p))
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("identity file %s: %w", p, err)
		}
		k.signers = append(k.signers, s)
		k.own(s.PublicKey())
	}
	for _, c := range h.configCerts {
		if err := k.addCert(c, true); err != nil {
			return nil, nil, err
		}
	}
	cleanup := func() {}
	var ag agent.ExtendedAgent
	if sock := h.agentSocket(); sock != "" {
		if c, err := net.Dial("unix", sock); err == nil {
			ag = agent.NewClient(c)
			cleanup = func() { c.Close() }
		}
	}
	if len(k.signers) == 0 && ag == nil {
		if len(protected) > 0 {
			return nil, nil, fmt.Errorf("identity file %s is passphrase-protected: load it into ssh-agent (ssh-add) and set SSH_AUTH_SOCK", protected[0])
		}
		return nil, nil, errors.New("no identity file and no ssh-agent (set identity_files or SSH_AUTH_SOCK)")
	}
	cb := func() ([]ssh.Signer, error) {
		all := append([]ssh.Signer(nil), k.signers...)
		if ag != nil {
			if as, err := ag.Signers(); err == nil {
				all = append(all, k.agentOrder(as, h.identitiesOnly)...)
			}
		}
		return k.withCerts(all), nil
	}
	return []ssh.AuthMethod{ssh.PublicKeysCallback(cb)}, cleanup, nil
}

// readKey reads a private key file, refusing one of the user's that
// others may read, as ssh does ("UNPROTECTED PRIVATE KEY FILE"). The
// check is on the file read, not on its name.
func readKey(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	mine := !ok || int(st.Uid) == os.Getuid() // ssh checks only the user's own files
	if perm := fi.Mode().Perm(); mine && perm&0o077 != 0 {
		return nil, fmt.Errorf("permissions %04o for %s are too open: a private key must be readable by its owner only (chmod 600 %s), as ssh requires",
			perm, path, path)
	}
	return io.ReadAll(f)
}

// agentSocket is the ssh-agent to ask: ssh_config's IdentityAgent, else
// SSH_AUTH_SOCK; "" for none.
func (h *SSH) agentSocket() string {
	switch h.agentSock {
	case "none":
		return ""
	case "":
		return os.Getenv("SSH_AUTH_SOCK")
	}
	return h.agentSock
}

// keyring collects the private keys and certificates of one connection.
type keyring struct {
	signers []ssh.Signer
	certs   []*ssh.Certificate
	owned   map[string]bool // public keys the identity files and certificates name
}

func (k *keyring) own(pub ssh.PublicKey) {
	if pub == nil {
		return
	}
	if k.owned == nil {
		k.owned = map[string]bool{}
	}
	k.owned[string(pub.Marshal())] = true
}

// agentOrder is the order the agent's keys are offered in, after the
// identity files' own: first those the identity files (or certificates)
// name, as ssh offers them, then the others (none with IdentitiesOnly).
// So a passphrase-protected identity file loaded into an agent that holds
// many keys is offered before the server's MaxAuthTries (6 for OpenSSH)
// is spent on the others.
func (k *keyring) agentOrder(agent []ssh.Signer, identitiesOnly bool) []ssh.Signer {
	var named, others []ssh.Signer
	for _, a := range agent {
		if k.owned[string(a.PublicKey().Marshal())] {
			named = append(named, a)
		} else if !identitiesOnly {
			others = append(others, a)
		}
	}
	return append(named, others...)
}

// addCert reads a user certificate. A missing file is skipped, as ssh
// does; one that is not a certificate is an error only when it was named
// (ssh_config's CertificateFile), not when it was only looked for next to
// a key.
func (k *keyring) addCert(path string, named bool) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read certificate: %w", err)
	}
	pub, _, _, _, err := ssh.ParseAuthorizedKey(b)
	c, ok := pub.(*ssh.Certificate)
	if err != nil || !ok || c.CertType != ssh.UserCert {
		if named {
			return fmt.Errorf("certificate file %s: not an OpenSSH user certificate", path)
		}
		return nil
	}
	k.certs = append(k.certs, c)
	k.own(c.Key)
	return nil
}

// withCerts puts, before each signer, a signer for every certificate of
// its key.
func (k *keyring) withCerts(signers []ssh.Signer) []ssh.Signer {
	if len(k.certs) == 0 {
		return signers
	}
	out := make([]ssh.Signer, 0, len(signers)+len(k.certs))
	for _, s := range signers {
		key := string(s.PublicKey().Marshal())
		for _, c := range k.certs {
			if string(c.Key.Marshal()) != key {
				continue
			}
			if cs, err := ssh.NewCertSigner(c, s); err == nil {
				out = append(out, cs)
			}
		}
		out = append(out, s)
	}
	return out
}

// protectedPublicKey is the public half of a passphrase-protected key
// file: from the file itself when its format keeps it in the clear, else
// from the file next to it with ".pub" added; nil when neither has it.
func protectedPublicKey(pm *ssh.PassphraseMissingError, path string) ssh.PublicKey {
	if pm.PublicKey != nil {
		return pm.PublicKey
	}
	b, err := os.ReadFile(path + ".pub")
	if err != nil {
		return nil
	}
	pub, _, _, _, err := ssh.ParseAuthorizedKey(b)
	if err != nil {
		return nil
	}
	return pub
}

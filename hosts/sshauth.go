package hosts

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/planrun/planrun/internal/sshconfig"
)

// HostKeyError is a host key that known_hosts does not vouch for: unknown
// (no entry for the host) or changed (entries exist, none matches). It is
// never accepted: the user must check the fingerprint and edit known_hosts.
type HostKeyError struct {
	Host        string // inventory name
	Addr        string // host:port
	KeyType     string
	Fingerprint string // SHA256:... of the key the server offered
	KnownHosts  string // the file checked
	// Alias is the name known_hosts was searched for instead of Addr's
	// (ssh_config's HostKeyAlias); "" when none.
	Alias string
	// Known lists the entries found for the host ("file:line type SHA256:..."),
	// empty when the host is unknown.
	Known []string
	// Cert says why the host certificate the server also offered was not
	// accepted; "" when it offered none.
	Cert string
}

func (e *HostKeyError) Error() string {
	if e.Cert == "" {
		return e.keyError()
	}
	return e.keyError() + " (" + e.Cert + ")"
}

func (e *HostKeyError) keyError() string {
	host, port, _ := net.SplitHostPort(e.Addr)
	entry, scan := host, fmt.Sprintf("ssh-keyscan -p %s %s >> %s", port, host, e.KnownHosts)
	switch {
	case e.Alias != "":
		entry = e.Alias
		scan = fmt.Sprintf("ssh-keyscan -p %s %s | sed 's/^[^ ]*/%s/' >> %s", port, host, e.Alias, e.KnownHosts)
	case port != "22":
		entry = "[" + host + "]:" + port
	}
	if len(e.Known) == 0 {
		known := ""
		if e.Alias != "" {
			known = " under its HostKeyAlias " + e.Alias
		}
		return fmt.Sprintf("host key of %s (%s) is unknown: the server offers %s %s; "+
			"check this fingerprint with the server's administrator, then add the key to %s%s "+
			"(for example: %s)",
			e.Host, e.Addr, e.KeyType, e.Fingerprint, e.KnownHosts, known, scan)
	}
	return fmt.Sprintf("host key of %s (%s) has CHANGED: the server offers %s %s but known_hosts has %s; "+
		"this could be an attack. If the server was really re-keyed, remove the old entry "+
		"(ssh-keygen -R '%s' -f %s) and add the new key after checking its fingerprint",
		e.Host, e.Addr, e.KeyType, e.Fingerprint, strings.Join(e.Known, ", "), entry, e.KnownHosts)
}

// knownHostsFiles are the known_hosts files to check host keys against:
// the spec's, else ssh_config's UserKnownHostsFile and
// GlobalKnownHostsFile, else ~/.ssh/known_hosts{,2} and the system's.
func (h *SSH) knownHostsFiles() (user, all []string, err error) {
	user = h.knownHosts
	if user == nil {
		home, err := os.UserHomeDir()
		if err != nil {
			return nil, nil, fmt.Errorf("find known_hosts: %w", err)
		}
		user = []string{filepath.Join(home, ".ssh", "known_hosts"), filepath.Join(home, ".ssh", "known_hosts2")}
	}
	all = append(user[:len(user):len(user)], h.globalKnownHosts...)
	if len(all) == 0 {
		return nil, nil, errors.New("no known_hosts file: ssh config sets UserKnownHostsFile and GlobalKnownHostsFile to none")
	}
	return user, all, nil
}

func expandHome(p string) (string, error) {
	if p == "~" || strings.HasPrefix(p, "~/") {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		return filepath.Join(home, p[1:]), nil
	}
	return p, nil
}

func (h *SSH) hostKeyCallback() (ssh.HostKeyCallback, []string, error) {
	user, all, err := h.knownHostsFiles()
	if err != nil {
		return nil, nil, err
	}
	// Of several files, those that exist are read, as ssh does; one must.
	db, err := sshconfig.ReadKnownHosts(all...)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("known_hosts file %s: %w (create it with the server's key, e.g. ssh-keyscan)", all[0], err)
	}
	if err != nil {
		return nil, nil, err
	}
	file := db.Files[0] // where a new key would go: the user's file
	if len(user) > 0 {
		file = user[0]
	}
	host, port, _ := net.SplitHostPort(h.addr)
	target := sshconfig.Target{Host: host, Port: port, Alias: h.hostKeyAlias}
	check := func(_ string, _ net.Addr, key ssh.PublicKey) error {
		err := db.CheckHostKey(target, key)
		var unknown *sshconfig.HostKeyUnknown
		var revoked *sshconfig.RevokedError
		switch {
		case errors.As(err, &unknown):
			cert, isCert := key.(*ssh.Certificate)
			if isCert {
				key = cert.Key // the fingerprint to check is the plain key's
			}
			e := &HostKeyError{Host: h.name, Addr: h.addr, KeyType: key.Type(),
				Fingerprint: ssh.FingerprintSHA256(key), KnownHosts: file, Alias: h.hostKeyAlias}
			for _, k := range unknown.Known {
				e.Known = append(e.Known, k.String())
			}
			if isCert && unknown.CertErr != nil {
				e.Cert = fmt.Sprintf("its host certificate (signed by %s %s) was not accepted: %v",
					cert.SignatureKey.Type(), ssh.FingerprintSHA256(cert.SignatureKey), unknown.CertErr)
			}
			return e
		case errors.As(err, &revoked):
			return fmt.Errorf("host key of %s (%s) is revoked in %s:%d", h.name, h.addr, revoked.Revoked.File, revoked.Revoked.Line)
		}
		return err
	}
	return check, db.HostKeyAlgorithms(target), nil
}

func (h *SSH) clientConfig() (*ssh.ClientConfig, func(), error) {
	cb, algos, err := h.hostKeyCallback()
	if err != nil {
		return nil, nil, err
	}
	auth, cleanup, err := h.authMethods()
	if err != nil {
		return nil, nil, err
	}
	return &ssh.ClientConfig{
		User:              h.user,
		Auth:              auth,
		HostKeyCallback:   cb,
		HostKeyAlgorithms: algos,
		Timeout:           h.timeout,
	}, cleanup, nil
}

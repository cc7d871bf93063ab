package hosts

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

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
	if len(all) == 0 && h.knownHostsCmd == nil {
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
	// Of several files, those that exist are read, as ssh does; one must,
	// unless a KnownHostsCommand gives the keys.
	db, err := sshconfig.ReadKnownHosts(all...)
	switch {
	case errors.Is(err, fs.ErrNotExist) && h.knownHostsCmd != nil:
		db = &sshconfig.KnownHosts{}
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil, fmt.Errorf("known_hosts file %s: %w (create it with the server's key, e.g. ssh-keyscan)", all[0], err)
	case err != nil:
		return nil, nil, err
	}
	file := "" // where a new key would go: the user's file
	if len(user) > 0 {
		file = user[0]
	} else if len(db.Files) > 0 {
		file = db.Files[0]
	}
	host, port, _ := net.SplitHostPort(h.addr)
	target := sshconfig.Target{Host: host, Port: port, Alias: h.hostKeyAlias}
	algoDB := db
	if h.knownHostsCmd != nil {
		// ssh asks under the bare host name (or the alias) here.
		if algoDB, err = h.knownHostsFromCommand("ORDER", cmp.Or(target.Alias, strings.ToLower(target.Host)), nil, db); err != nil {
			return nil, nil, err
		}
	}
	check := func(_ string, _ net.Addr, key ssh.PublicKey) error {
		err := h.checkHostKey(db, target, key)
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
	return check, algoDB.HostKeyAlgorithms(target), nil
}

// checkHostKey checks key against db and, when the host has one, what
// its KnownHostsCommand prints for the key. As in ssh 9.2, the command
// runs once, for the key offered: a host certificate no CA vouches for
// then has its plain key looked up in the same lines.
func (h *SSH) checkHostKey(db *sshconfig.KnownHosts, target sshconfig.Target, key ssh.PublicKey) error {
	if h.knownHostsCmd != nil {
		var err error
		if db, err = h.knownHostsFromCommand("HOSTNAME", target.Name(), key, db); err != nil {
			return err
		}
	}
	return db.CheckHostKey(target, key)
}

// knownHostsFromCommand runs the host's KnownHostsCommand for invocation
// (ORDER or HOSTNAME) as ssh runs it: no shell, standard input empty,
// within the connect timeout. It returns db with the lines it printed for
// name. A command that fails makes the connection fail, as in ssh.
func (h *SSH) knownHostsFromCommand(invocation, name string, key ssh.PublicKey, db *sshconfig.KnownHosts) (*sshconfig.KnownHosts, error) {
	c := h.knownHostsCmd
	argv, err := c.Args(invocation, name, key)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), h.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.WaitDelay = time.Second // what it started may hold its output open
	said := tailBuffer{keep: tailMax}
	cmd.Stderr = &said
	out, err := cmd.Output()
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("no answer within the connect timeout %s", h.timeout)
		}
		msg := fmt.Sprintf("KnownHostsCommand (%s) for %s: %v", c.At, invocation, err)
		if s := said.String(); s != "" {
			msg += ", said: " + s
		}
		return nil, errors.New(msg)
	}
	return db.With("KnownHostsCommand "+c.At, out, name), nil
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

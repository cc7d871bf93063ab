package sshconfig

import (
	"bufio"
	"bytes"
	"cmp"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"golang.org/x/crypto/ssh"
)

// Marker is what a known_hosts line says of its key.
type Marker int

const (
	HostKey       Marker = iota // the host's own key
	CertAuthority               // @cert-authority: a CA whose host certificates are trusted
	Revoked                     // @revoked: never to be accepted
)

// KnownKey is a key a known_hosts line holds for a host.
type KnownKey struct {
	Marker Marker
	Key    ssh.PublicKey
	File   string
	Line   int
}

func (k KnownKey) String() string {
	return fmt.Sprintf("%s:%d %s %s", k.File, k.Line, k.Key.Type(), ssh.FingerprintSHA256(k.Key))
}

// KnownHosts is the lines of known_hosts files, read as OpenSSH reads
// them: each line "[@marker] patterns keytype key [comment]", with host
// patterns (wildcards, '!' negation, [host]:port) or a hashed name
// (|1|salt|hash), matched against the whole name a host is known by.
// Lines ssh cannot use either (RSA1 keys, damaged lines) are skipped.
type KnownHosts struct {
	Files []string // the files read
	lines []khLine
}

type khLine struct {
	KnownKey
	command  bool   // printed by a KnownHostsCommand (see With)
	patterns string // comma-separated; "" when hashed
	salt     []byte // hashed: HMAC-SHA1 key
	hash     []byte
}

// KnownHostsName is the name known_hosts lists a host under: "host" on
// port 22, else "[host]:port" (host in lower case, as ssh has it).
func KnownHostsName(host, port string) string {
	host = strings.ToLower(host)
	if port == "" || port == "22" {
		return host
	}
	return "[" + host + "]:" + port
}

// ReadKnownHosts reads the files that exist, in order (ssh skips missing
// ones); when none does, the error is the first one's (fs.ErrNotExist).
func ReadKnownHosts(files ...string) (*KnownHosts, error) {
	db := &KnownHosts{}
	var missing error
	for _, f := range files {
		data, err := os.ReadFile(f)
		if errors.Is(err, fs.ErrNotExist) {
			missing = cmp.Or(missing, err)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read known_hosts: %w", err)
		}
		db.Files = append(db.Files, f)
		db.parse(f, data)
	}
	if len(db.Files) == 0 && missing != nil {
		return nil, missing
	}
	return db, nil
}

func (db *KnownHosts) parse(file string, data []byte) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		if l, ok := parseKnownHost(sc.Text()); ok {
			l.File, l.Line = file, n
			db.lines = append(db.lines, l)
		}
	}
}

func parseKnownHost(text string) (khLine, bool) {
	f := strings.Fields(text)
	if len(f) == 0 || strings.HasPrefix(f[0], "#") {
		return khLine{}, false
	}
	var l khLine
	switch f[0] {
	case "@cert-authority":
		l.Marker, f = CertAuthority, f[1:]
	case "@revoked":
		l.Marker, f = Revoked, f[1:]
	default:
		if strings.HasPrefix(f[0], "@") {
			return khLine{}, false // an unknown marker: ssh skips the line
		}
	}
	if len(f) < 3 {
		return khLine{}, false
	}
	blob, err := base64.StdEncoding.DecodeString(f[2])
	if err != nil {
		return khLine{}, false
	}
	if l.Key, err = ssh.ParsePublicKey(blob); err != nil || l.Key.Type() != f[1] {
		return khLine{}, false
	}
	if rest, ok := strings.CutPrefix(f[0], "|1|"); ok {
		salt, hash, ok := strings.Cut(rest, "|")
		if !ok {
			return khLine{}, false
		}
		if l.salt, err = base64.StdEncoding.DecodeString(salt); err != nil {
			return khLine{}, false
		}
		if l.hash, err = base64.StdEncoding.DecodeString(hash); err != nil {
			return khLine{}, false
		}
		return l, true
	}
	l.patterns = f[0]
	return l, true
}

// matches reports whether the line is for name (see KnownHostsName).
func (l khLine) matches(name string) bool {
	if l.hash != nil {
		m := hmac.New(sha1.New, l.salt)
		m.Write([]byte(name))
		return hmac.Equal(m.Sum(nil), l.hash)
	}
	return matchList(l.patterns, name, true)
}

// Lookup returns the keys the files hold for name, in file order.
func (db *KnownHosts) Lookup(name string) []KnownKey {
	var out []KnownKey
	for _, l := range db.lines {
		if l.matches(name) {
			out = append(out, l.KnownKey)
		}
	}
	return out
}

// Target is a server as known_hosts knows it: the host name (as
// connected to) and port, and ssh_config's HostKeyAlias ("" when none),
// under which, if set, known_hosts lists it instead.
type Target struct{ Host, Port, Alias string }

// name is what the files list the target under, and principal the name
// a host certificate must be issued to.
func (t Target) name() (name, principal string) {
	if t.Alias != "" {
		return t.Alias, t.Alias
	}
	return KnownHostsName(t.Host, t.Port), strings.ToLower(t.Host)
}

// CheckHostKey is ssh's verdict on the key (or host certificate) a server
// offered. It returns nil when the key is listed for the target, or is a
// certificate valid for it and signed by a CA an @cert-authority line
// trusts for it. A key (or a certificate's key or CA) that is @revoked
// for it is a *RevokedError, whatever else says; otherwise the error is a
// *HostKeyUnknown. A certificate no CA vouches for counts for nothing: its
// plain key is looked up, as ssh does. And as ssh does, a key of a server
// on another port than 22 that known_hosts has no entry for under
// [host]:port is also accepted when it is listed under the bare host name.
func (db *KnownHosts) CheckHostKey(t Target, key ssh.PublicKey) error {
	name, principal := t.name()
	bare := ""
	if t.Alias == "" && t.Port != "" && t.Port != "22" {
		bare = strings.ToLower(t.Host)
	}
	return db.check(name, bare, principal, key)
}

// check follows ssh's check_host_key: the key is looked up under name,
// and when name has nothing to say of it (no trusted CA for a
// certificate, no key at all for a plain key) under bare too, if set.
func (db *KnownHosts) check(name, bare, principal string, key ssh.PublicKey) error {
	keys := db.Lookup(name)
	suspects := []ssh.PublicKey{key}
	cert, isCert := key.(*ssh.Certificate)
	if isCert {
		suspects = []ssh.PublicKey{cert.Key, cert.SignatureKey}
	}
	for _, k := range keys {
		for _, s := range suspects {
			if k.Marker == Revoked && keyEqual(k.Key, s) {
				return &RevokedError{Revoked: k}
			}
		}
	}
	var certErr error
	if isCert {
		trusted := false
		for _, k := range keys {
			trusted = trusted || k.Marker == CertAuthority && keyEqual(k.Key, cert.SignatureKey)
		}
		switch {
		case !trusted:
			certErr = errors.New("no @cert-authority line trusts its CA for this host")
			if bare != "" && db.filesOnly().check(bare, "", principal, key) == nil {
				return nil
			}
		case cert.CertType != ssh.HostCert:
			certErr = errors.New("it is not a host certificate")
		default:
			var c ssh.CertChecker
			if certErr = c.CheckCert(principal, cert); certErr == nil {
				return nil
			}
		}
		key = cert.Key
	}
	var known []KnownKey
	for _, k := range keys {
		if k.Marker != HostKey {
			continue
		}
		if keyEqual(k.Key, key) {
			return nil
		}
		known = append(known, k)
	}
	if len(known) == 0 && bare != "" && db.filesOnly().check(bare, "", principal, key) == nil {
		return nil
	}
	return &HostKeyUnknown{Known: known, CertErr: certErr}
}

// HostKeyAlgorithms are the host key algorithms to ask a server for so
// that it offers a key the files can check, ordered as ssh orders them:
// those of the key types the files list for the target (host keys and
// CAs; certificates before plain keys), under the bare host name when
// [host]:port has none; nil (the default order) when the files know
// nothing of it.
func (db *KnownHosts) HostKeyAlgorithms(t Target) []string {
	name, _ := t.name()
	keys := db.Lookup(name)
	if len(keys) == 0 && t.Alias == "" {
		keys = db.filesOnly().Lookup(strings.ToLower(t.Host))
	}
	types := map[string]bool{}
	for _, k := range keys {
		types[k.Key.Type()] = true
	}
	var algos []string
	for _, a := range hostKeyOrder {
		if types[a.keyType] {
			algos = append(algos, a.algo)
		}
	}
	return algos
}

// hostKeyOrder is OpenSSH's default host key algorithm order (those Go
// supports, and ssh-rsa for old servers), with the key type of each.
var hostKeyOrder = []struct{ algo, keyType string }{
	{ssh.CertAlgoED25519v01, ssh.KeyAlgoED25519},
	{ssh.CertAlgoECDSA256v01, ssh.KeyAlgoECDSA256},
	{ssh.CertAlgoECDSA384v01, ssh.KeyAlgoECDSA384},
	{ssh.CertAlgoECDSA521v01, ssh.KeyAlgoECDSA521},
	{ssh.CertAlgoRSASHA512v01, ssh.KeyAlgoRSA},
	{ssh.CertAlgoRSASHA256v01, ssh.KeyAlgoRSA},
	{ssh.CertAlgoRSAv01, ssh.KeyAlgoRSA},
	{ssh.KeyAlgoED25519, ssh.KeyAlgoED25519},
	{ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA256},
	{ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA384},
	{ssh.KeyAlgoECDSA521, ssh.KeyAlgoECDSA521},
	{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSA},
	{ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA},
	{ssh.KeyAlgoRSA, ssh.KeyAlgoRSA},
}

func keyEqual(a, b ssh.PublicKey) bool { return bytes.Equal(a.Marshal(), b.Marshal()) }

// HostKeyUnknown is a key the files do not vouch for: unknown (no key
// listed for the host) or changed (Known lists the keys that are).
type HostKeyUnknown struct {
	Known []KnownKey
	// CertErr says why a host certificate was not accepted.
	CertErr error
}

func (e *HostKeyUnknown) Error() string {
	if len(e.Known) == 0 {
		return "host key is unknown"
	}
	return "host key has changed"
}

// RevokedError is a key, or a certificate's key or CA, marked @revoked.
type RevokedError struct{ Revoked KnownKey }

func (e *RevokedError) Error() string {
	return fmt.Sprintf("host key is revoked in %s:%d", e.Revoked.File, e.Revoked.Line)
}

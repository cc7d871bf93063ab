package sshconfig

import (
	"encoding/base64"
	"fmt"
	"maps"
	"strings"

	"golang.org/x/crypto/ssh"
)

// KnownHostsCommand is ssh_config's KnownHostsCommand for one host: a
// program that prints known_hosts lines, which ssh runs without a shell
// (its path must be absolute) and reads beside the known_hosts files.
type KnownHostsCommand struct {
	Line   string   // as written
	Argv   []string // Line split as ssh splits it; tokens unexpanded
	At     string   // where it was set ("file:line")
	tokens map[byte]string
}

// Args is the argument vector for one run: invocation is "ORDER" (before
// connecting, to order the host key algorithms) or "HOSTNAME" (to check
// key, the key the server offered); name is what known_hosts lists the
// host under (%H, see Target.Name). As in ssh, the tokens and ${VAR} are
// expanded in the arguments after the program; %t, %f and %K are NONE
// when there is no key (a certificate's %f is its plain key's, as ssh
// has it).
func (c *KnownHostsCommand) Args(invocation, name string, key ssh.PublicKey) ([]string, error) {
	t := maps.Clone(c.tokens)
	t['H'], t['I'], t['t'], t['f'], t['K'] = name, invocation, "NONE", "NONE", "NONE"
	if key != nil {
		plain := key // ssh fingerprints a certificate by its plain key
		if c, ok := key.(*ssh.Certificate); ok {
			plain = c.Key
		}
		t['t'], t['f'], t['K'] = key.Type(), ssh.FingerprintSHA256(plain), base64.StdEncoding.EncodeToString(key.Marshal())
	}
	out := []string{c.Argv[0]}
	for _, a := range c.Argv[1:] {
		v, err := expandEnv(a)
		if err == nil {
			v, err = expandTokens(v, t)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: KnownHostsCommand argument %s: %w", c.At, a, err)
		}
		out = append(out, v)
	}
	return out, nil
}

// knownHostsCommand builds the KnownHostsCommand set at at (the rest of
// its line, raw), checking what ssh would refuse when it runs it.
func (l *lookup) knownHostsCommand(raw, at string) (*KnownHostsCommand, error) {
	var argv []string
	for rest := strings.TrimLeft(raw, " \t"); rest != ""; rest = strings.TrimLeft(rest, " \t") {
		a, r, err := nextArg(rest)
		if err != nil {
			return nil, fmt.Errorf("%s: KnownHostsCommand: %w", at, err)
		}
		argv, rest = append(argv, a), r
	}
	switch {
	case len(argv) == 0:
		return nil, fmt.Errorf("%s: KnownHostsCommand names no program", at)
	case !strings.HasPrefix(argv[0], "/"):
		return nil, fmt.Errorf("%s: KnownHostsCommand %s: the program's path must be absolute, as ssh requires", at, argv[0])
	}
	c := &KnownHostsCommand{Line: raw, Argv: argv, At: at, tokens: l.tokens(strings.ToLower(l.currentHost()))}
	if _, err := c.Args("ORDER", "", nil); err != nil {
		return nil, err
	}
	return c, nil
}

// Name is the name known_hosts lists the target under: its HostKeyAlias,
// else "host" on port 22, else "[host]:port".
func (t Target) Name() string {
	n, _ := t.name()
	return n
}

// With returns a copy of db with the known_hosts lines in data (what a
// KnownHostsCommand printed) added, as ssh adds them: only those for
// name, and not consulted for the bare host name of a server on another
// port.
func (db *KnownHosts) With(source string, data []byte, name string) *KnownHosts {
	out := &KnownHosts{Files: db.Files, lines: db.lines[:len(db.lines):len(db.lines)]}
	more := &KnownHosts{}
	more.parse(source, data)
	for _, l := range more.lines {
		if l.matches(name) {
			l.command = true
			out.lines = append(out.lines, l)
		}
	}
	return out
}

// filesOnly is db without the lines a KnownHostsCommand printed.
func (db *KnownHosts) filesOnly() *KnownHosts {
	out := &KnownHosts{Files: db.Files}
	for _, l := range db.lines {
		if !l.command {
			out.lines = append(out.lines, l)
		}
	}
	return out
}

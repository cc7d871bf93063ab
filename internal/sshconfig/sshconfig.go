package sshconfig

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"time"
)

// File is a configuration file to read.
type File struct {
	Path string
	// System marks the system-wide file: relative Include paths in it are
	// under /etc/ssh (else under ~/.ssh).
	System bool
	// Required makes a missing file an error (else it is skipped).
	Required bool
}

// Query is the host a lookup is for, as the user wrote it.
type Query struct {
	Host string // an alias or a host name
	User string // the remote user when given ("" = not given: the files may set it)
	Port string // the port when given
}

// Settings are what the files say for one host; empty means not set.
type Settings struct {
	HostName string
	User     string
	Port     string
	// HostKeyAlias is the name to look the host key up under in
	// known_hosts instead of the host name.
	HostKeyAlias string
	// IdentityFiles, CertificateFiles, KnownHosts (UserKnownHostsFile) and
	// GlobalKnownHosts (GlobalKnownHostsFile) are paths with '~', ${VAR}
	// and %-tokens expanded. The known_hosts lists are nil when not set,
	// empty when set to none.
	IdentityFiles    []string
	CertificateFiles []string
	KnownHosts       []string
	GlobalKnownHosts []string
	// ProxyJump is the comma-separated list of jump hosts ("" also when
	// the files say none).
	ProxyJump string
	// ProxyCommand is the command, as written (tokens unexpanded; see
	// ProxyCommandLine), whose standard input and output carry the
	// connection; ProxyCommandAt is where it was set ("file:line").
	// ProxyUseFdpass says the command passes a connected socket back
	// instead.
	ProxyCommand, ProxyCommandAt string
	ProxyUseFdpass               bool
	// KnownHostsCommand, when set, prints known_hosts lines for the host
	// (read beside the files).
	KnownHostsCommand *KnownHostsCommand
	ConnectTimeout    time.Duration
	// IdentityAgent is the agent's socket or "none"; empty when not set
	// (or set to SSH_AUTH_SOCK): the socket SSH_AUTH_SOCK names.
	IdentityAgent string
	// IdentitiesOnly: offer only keys of the identity files, even when
	// the agent holds more.
	IdentitiesOnly bool
	// RefuseConnection, when the files tell ssh to refuse connecting to
	// the host, is where ("file:line").
	RefuseConnection string
	// ServerAliveInterval and ServerAliveCountMax (each 0 when not set
	// or off): keepalives, and how many may go unanswered before the
	// connection counts as dead.
	ServerAliveInterval time.Duration
	ServerAliveCountMax int
}

const maxIncludeDepth = 16

// Lookup reads files in order and returns the settings that apply to q.
// Errors name the file and line.
func Lookup(files []File, q Query) (Settings, error) {
	l := &lookup{q: q, got: map[string]bool{}}
	if home, err := os.UserHomeDir(); err == nil {
		l.home = home
	}
	if u, err := user.Current(); err == nil {
		l.localUser = u.Username
	}
	if q.User != "" {
		l.s.User, l.got["user"] = q.User, true
	}
	if q.Port != "" {
		l.s.Port, l.got["port"] = q.Port, true
	}
	if err := l.readAll(files); err != nil {
		return Settings{}, err
	}
	if err := l.finalPass(files); err != nil {
		return Settings{}, err
	}
	return l.finish()
}

func (l *lookup) readAll(files []File) error {
	for _, f := range files {
		if err := l.read(f.Path, f.System, f.Required, 0, false); err != nil {
			return err
		}
	}
	return nil
}

type lookup struct {
	q               Query
	s               Settings
	got             map[string]bool // settings already obtained (the first value wins)
	idents, certs   []raw
	known           []raw
	global          []raw
	agent           *raw
	khCommand       *raw // KnownHostsCommand, as written
	home, localUser string
	ignoreUnknown   string // IgnoreUnknown's pattern list
	tag             string // Tag, for Match tagged
	// final is set for the second reading of the files (see finalPass),
	// whose Host lines match the final host name (HostName, which that
	// reading no longer changes); wantFinal when one is due.
	final, wantFinal bool
	canon            canonSettings
	// HostName and HostKeyAlias as written (for Match exec's tokens).
	rawHostName, rawAlias string
}

// raw is a path setting before its tokens are expanded, with where it was
// set (for errors).
type raw struct{ val, at string }

// read reads one file. never is set for a file included from a block
// that does not apply: as ssh does, it is read for its form (and for a
// Match final), but none of its lines apply.
func (l *lookup) read(name string, system, required bool, depth int, never bool) error {
	if depth > maxIncludeDepth {
		return fmt.Errorf("%s: Include nests more than %d deep", name, maxIncludeDepth)
	}
	data, err := readConfig(name, !system || depth > 0) // ssh checks every included file
	if errors.Is(err, fs.ErrNotExist) && !required {
		return nil
	}
	if err != nil {
		return err
	}
	active := !never
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		at := fmt.Sprintf("%s:%d", name, n)
		key, args, err := splitLine(sc.Text())
		if err != nil {
			return fmt.Errorf("%s: %w", at, err)
		}
		if (key == "proxycommand" || key == "knownhostscommand") && len(args) > 0 {
			// As in ssh: the rest of the line, quotes and all, for the
			// command's own splitting.
			args = []string{rawValue(sc.Text())}
		}
		switch key {
		case "":
		case "host":
			if len(args) == 0 {
				return fmt.Errorf("%s: Host needs at least one pattern", at)
			}
			active = !never && l.hostMatches(args)
		case "match":
			if active, err = l.match(args, at, never); err != nil {
				return err
			}
		case "include":
			if len(args) == 0 {
				return fmt.Errorf("%s: Include needs a file name", at)
			}
			for _, a := range args {
				if err := l.include(a, at, system, depth, !active); err != nil {
					return err
				}
			}
		case "ignoreunknown":
			if len(args) == 0 {
				return fmt.Errorf("%s: IgnoreUnknown needs a pattern list", at)
			}
			if active && !l.got[key] {
				l.ignoreUnknown, l.got[key] = args[0], true
			}
		default:
			if !keywords[key] {
				if l.got["ignoreunknown"] && matchList(l.ignoreUnknown, key, true) {
					continue
				}
				return fmt.Errorf("%s: unknown keyword %q, which ssh refuses too (IgnoreUnknown %s before it would make both skip it)", at, key, key)
			}
			if len(args) == 0 {
				return fmt.Errorf("%s: no argument after keyword %q", at, key)
			}
			// Values are checked on every line, as ssh checks them, but
			// only taken from the lines that apply.
			if err := l.set(key, args, at, active); err != nil {
				return err
			}
		}
	}
	return sc.Err()
}

// include reads the files pattern names, in lexical order; a pattern that
// names no file is no error (as in ssh).
func (l *lookup) include(pattern, at string, system bool, depth int, never bool) error {
	p, err := l.expandHome(pattern, at)
	if err != nil {
		return err
	}
	if !filepath.IsAbs(p) {
		base := filepath.Join(l.home, ".ssh")
		if system {
			base = "/etc/ssh"
		}
		p = filepath.Join(base, p)
	}
	names, err := filepath.Glob(p)
	if err != nil {
		return fmt.Errorf("%s: Include %s: %w", at, pattern, err)
	}
	for _, n := range names {
		if err := l.read(n, system, false, depth+1, never); err != nil {
			return err
		}
	}
	return nil
}

// hostMatches is a Host line's verdict: no negated pattern matches the
// host as given, and some other pattern does. Unlike Match host, letter
// case counts here (as in ssh).
func (l *lookup) hostMatches(patterns []string) bool {
	host := l.q.Host
	if l.final {
		host = l.s.HostName
	}
	// Each word is one pattern: unlike Match's lists, a comma here is no
	// separator.
	return matchPatterns(patterns, host)
}

// addRaw appends r unless rs has its value already (ssh ignores a key or
// certificate file named twice).
func addRaw(rs []raw, r raw) []raw {
	for _, x := range rs {
		if x.val == r.val {
			return rs
		}
	}
	return append(rs, r)
}

// currentHost is the host name as far as the lines read so far go (for
// Match host).
func (l *lookup) currentHost() string {
	if l.s.HostName != "" {
		return l.s.HostName
	}
	return l.q.Host
}

func (l *lookup) currentUser() string {
	if l.s.User != "" {
		return l.s.User
	}
	return l.localUser
}

// finish expands the path settings now that host, user and port are known.
func (l *lookup) finish() (Settings, error) {
	s := l.s
	var err error
	if s.IdentityFiles, err = l.expandAll(l.idents); err != nil {
		return Settings{}, err
	}
	if s.CertificateFiles, err = l.expandAll(l.certs); err != nil {
		return Settings{}, err
	}
	if r := l.agent; r != nil {
		switch {
		case strings.EqualFold(r.val, "none"):
			s.IdentityAgent = "none"
		case r.val == "SSH_AUTH_SOCK":
		case strings.HasPrefix(r.val, "$") && !strings.HasPrefix(r.val, "${"):
			// $VAR: the variable holds the socket's path.
			if s.IdentityAgent = os.Getenv(r.val[1:]); s.IdentityAgent == "" {
				s.IdentityAgent = "none"
			}
		default:
			p, err := l.expandPath(*r)
			if err != nil {
				return Settings{}, err
			}
			s.IdentityAgent = p
		}
	}
	if r := l.khCommand; r != nil {
		if s.KnownHostsCommand, err = l.knownHostsCommand(r.val, r.at); err != nil {
			return Settings{}, err
		}
	}
	if s.KnownHosts, err = l.expandFiles(l.known); err != nil {
		return Settings{}, err
	}
	if s.GlobalKnownHosts, err = l.expandFiles(l.global); err != nil {
		return Settings{}, err
	}
	return s, nil
}

// expandAll expands each path (see expandPath).
func (l *lookup) expandAll(rs []raw) ([]string, error) {
	var out []string
	for _, r := range rs {
		p, err := l.expandPath(r)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// expandFiles expands a list of known_hosts files: nil when not set,
// empty when set to none ("none" stands for no file).
func (l *lookup) expandFiles(rs []raw) ([]string, error) {
	if len(rs) == 0 {
		return nil, nil
	}
	out := []string{}
	for _, r := range rs {
		if strings.EqualFold(r.val, "none") {
			continue
		}
		p, err := l.expandPath(r)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

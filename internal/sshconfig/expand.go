package sshconfig

import (
	"cmp"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// expandHostName expands HostName's tokens: %h (the host as given) and %%.
func expandHostName(v, host string) (string, error) {
	return expandTokens(v, map[byte]string{'h': host, '%': "%"})
}

// expandHome replaces a leading "~" or "~/" with the home directory.
func (l *lookup) expandHome(v, at string) (string, error) {
	if v != "~" && !strings.HasPrefix(v, "~/") {
		return v, nil
	}
	if l.home == "" {
		return "", fmt.Errorf("%s: %s: the home directory is unknown", at, v)
	}
	return filepath.Join(l.home, v[1:]), nil
}

// expandPath expands an IdentityFile or UserKnownHostsFile: a leading
// '~', ${VAR} references and the tokens ssh_config(5) lists for them,
// with the host, user and port the lookup ended with.
func (l *lookup) expandPath(r raw) (string, error) {
	v, err := l.expandHome(r.val, r.at)
	if err != nil {
		return "", err
	}
	if v, err = expandEnv(v); err != nil {
		return "", fmt.Errorf("%s: %s: %w", r.at, r.val, err)
	}
	v, err = expandTokens(v, l.tokens(strings.ToLower(l.currentHost()))) // as ssh has it
	if err != nil {
		return "", fmt.Errorf("%s: %s: %w", r.at, r.val, err)
	}
	return v, nil
}

// tokens are the values of the tokens ssh_config(5) lists for paths and
// Match exec, with host as %h and the user and port the lines read so
// far give.
func (l *lookup) tokens(host string) map[byte]string {
	port := l.s.Port
	if port == "" {
		port = "22"
	}
	local, _ := os.Hostname()
	short, _, _ := strings.Cut(local, ".")
	jump := l.jumpHost()
	conn := sha1.Sum([]byte(local + host + port + l.currentUser() + jump))
	return map[byte]string{
		'%': "%", 'd': l.home, 'h': host, 'n': l.q.Host, 'p': port,
		'r': l.currentUser(), 'u': l.localUser, 'i': strconv.Itoa(os.Getuid()),
		'L': short, 'l': local, 'k': cmp.Or(l.s.HostKeyAlias, l.q.Host), 'j': jump,
		'C': hex.EncodeToString(conn[:]),
	}
}

// ProxyTokens are the values of a ProxyCommand's tokens.
type ProxyTokens struct {
	Host     string // %h: the host name connected to
	Given    string // %n: the host as the user gave it
	Port     string // %p
	User     string // %r: the remote user
	KeyAlias string // %k: HostKeyAlias, else the host as given
}

// ProxyCommandLine is the shell command line ssh runs for a ProxyCommand:
// "exec " and the command, its tokens expanded (an unknown one is an
// error, as in ssh).
func ProxyCommandLine(cmd string, t ProxyTokens) (string, error) {
	line, err := expandTokens("exec "+cmd, map[byte]string{
		'%': "%", 'h': t.Host, 'n': t.Given, 'p': t.Port, 'r': t.User, 'k': cmp.Or(t.KeyAlias, t.Given),
	})
	if err != nil {
		return "", fmt.Errorf("ProxyCommand %s: %w", cmd, err)
	}
	return line, nil
}

// jumpHost is the host name of ProxyJump's last hop ("" when none), ssh's
// %j.
func (l *lookup) jumpHost() string {
	j := l.s.ProxyJump
	if i := strings.LastIndexByte(j, ','); i >= 0 {
		j = j[i+1:]
	}
	j = strings.TrimPrefix(j, "ssh://")
	if i := strings.LastIndexByte(j, '@'); i >= 0 {
		j = j[i+1:]
	}
	if h, _, err := net.SplitHostPort(j); err == nil {
		return h
	}
	return j
}

// expandTokens replaces %x with tokens[x]; any other %x is an error.
func expandTokens(v string, tokens map[byte]string) (string, error) {
	if !strings.Contains(v, "%") {
		return v, nil
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] != '%' {
			b.WriteByte(v[i])
			continue
		}
		if i+1 == len(v) {
			return "", fmt.Errorf("%% at the end")
		}
		i++
		t, ok := tokens[v[i]]
		if !ok {
			return "", fmt.Errorf("token %%%c is not supported here", v[i])
		}
		b.WriteString(t)
	}
	return b.String(), nil
}

// expandEnv replaces ${VAR} with the variable's value; an unset variable
// is an error (as in ssh).
func expandEnv(v string) (string, error) {
	var b strings.Builder
	for {
		i := strings.Index(v, "${")
		if i < 0 {
			b.WriteString(v)
			return b.String(), nil
		}
		j := strings.IndexByte(v[i:], '}')
		if j < 0 {
			return "", fmt.Errorf("unterminated ${")
		}
		name := v[i+2 : i+j]
		val, ok := os.LookupEnv(name)
		if !ok {
			return "", fmt.Errorf("environment variable %s is not set", name)
		}
		b.WriteString(v[:i])
		b.WriteString(val)
		v = v[i+j+1:]
	}
}

// parseTime reads an ssh_config time (sshd_config(5) TIME FORMATS): a
// sequence of numbers, each with an optional unit (s, m, h, d, w; none
// means seconds), added up: "90", "1m30s", "1h"; "none" is 0.
func parseTime(v string) (time.Duration, bool) {
	if strings.EqualFold(v, "none") {
		return 0, true
	}
	if v == "" {
		return 0, false
	}
	var total time.Duration
	for v != "" {
		i := 0
		for i < len(v) && v[i] >= '0' && v[i] <= '9' {
			i++
		}
		if i == 0 || i > 9 {
			return 0, false
		}
		n, _ := strconv.Atoi(v[:i])
		unit := time.Second
		if i < len(v) {
			switch v[i] {
			case 's', 'S':
			case 'm', 'M':
				unit = time.Minute
			case 'h', 'H':
				unit = time.Hour
			case 'd', 'D':
				unit = 24 * time.Hour
			case 'w', 'W':
				unit = 7 * 24 * time.Hour
			default:
				return 0, false
			}
			i++
		}
		total += time.Duration(n) * unit
		v = v[i:]
	}
	return total, true
}

// parseYesNo reads a flag as ssh does: yes/true or no/false, in any case.
func parseYesNo(s string) (on, ok bool) {
	switch strings.ToLower(s) {
	case "yes", "true":
		return true, true
	case "no", "false":
		return false, true
	}
	return false, false
}

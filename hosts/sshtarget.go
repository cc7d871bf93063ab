package hosts

import (
	"cmp"
	"errors"
	"fmt"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/planrun/planrun/internal/sshconfig"
)

// SystemSSHConfig is the system-wide OpenSSH client configuration, read
// after the user's ~/.ssh/config unless a host names its own file.
var SystemSSHConfig = "/etc/ssh/ssh_config"

// GlobalKnownHosts are the system's known_hosts files, checked after the
// user's (as ssh does) unless a host's entry names its known_hosts file.
var GlobalKnownHosts = []string{"/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2"}

// maxJumps bounds a chain of jump hosts (a ProxyJump loop in ssh_config
// would otherwise never end).
const maxJumps = 8

// target is "user@host[:port]" taken apart; user and port are empty when
// not given.
type target struct{ user, host, port string }

func splitTarget(s string) (target, error) {
	if s == "" {
		return target{}, errors.New("ssh: empty address (want user@host[:port])")
	}
	var t target
	hostport := s
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		t.user, hostport = s[:i], s[i+1:]
		if t.user == "" {
			return target{}, fmt.Errorf("ssh %q: empty user name", s)
		}
	}
	t.host = hostport
	if h, p, err := net.SplitHostPort(hostport); err == nil {
		t.host, t.port = h, p
	} else if strings.HasPrefix(hostport, "[") && strings.HasSuffix(hostport, "]") {
		t.host = hostport[1 : len(hostport)-1]
	}
	if t.host == "" || strings.ContainsAny(t.host, " /,") {
		return target{}, fmt.Errorf("ssh %q: bad host name", s)
	}
	if t.port != "" {
		if n, err := strconv.Atoi(t.port); err != nil || n < 1 || n > 65535 {
			return target{}, fmt.Errorf("ssh %q: bad port %q", s, t.port)
		}
	}
	return t, nil
}

func currentUser() (string, error) {
	u, err := user.Current()
	if err != nil {
		return "", fmt.Errorf("no user given and the current user is unknown: %w", err)
	}
	return u.Username, nil
}

// NewSSH returns an SSH host for spec; it connects on first use. What the
// spec leaves out (user, port, keys, certificates, agent, known_hosts,
// jump host, connect timeout) comes from the OpenSSH client
// configuration for the host, as ssh would use it (see Spec.SSHConfig);
// the spec wins where both say.
func NewSSH(name string, spec Spec, opts SSHOptions) (*SSH, error) {
	h, err := newSSH(name, spec, opts, 0)
	if err != nil {
		return nil, fmt.Errorf("host %s: %w", name, err)
	}
	return h, nil
}

// CheckSSH reports what NewSSH would refuse in spec (a bad address, an
// ssh_config that cannot be read, or a ProxyCommand that cannot be run),
// without connecting.
func CheckSSH(spec Spec) error {
	_, err := newSSH("", spec, SSHOptions{}, 0)
	return err
}

func newSSH(name string, spec Spec, opts SSHOptions, depth int) (*SSH, error) {
	if depth > maxJumps {
		return nil, fmt.Errorf("more than %d jump hosts in a row (does a ProxyJump in ssh_config loop?)", maxJumps)
	}
	t, err := splitTarget(spec.SSH)
	if err != nil {
		return nil, err
	}
	files, err := sshConfigFiles(spec.SSHConfig)
	if err != nil {
		return nil, err
	}
	cfg, err := sshconfig.Lookup(files, sshconfig.Query{Host: t.host, User: t.user, Port: t.port})
	if err != nil {
		return nil, err
	}
	if cfg.RefuseConnection != "" {
		return nil, fmt.Errorf("ssh config refuses connections to %s (RefuseConnection at %s)", t.host, cfg.RefuseConnection)
	}
	h := &SSH{name: name, spec: spec, opts: opts, depth: depth, timeout: 15 * time.Second,
		configKeys: cfg.IdentityFiles, configCerts: cfg.CertificateFiles,
		agentSock: cfg.IdentityAgent, identitiesOnly: cfg.IdentitiesOnly,
		hostKeyAlias: cfg.HostKeyAlias, sessions: make(chan struct{}, MaxExecSessions)}
	if h.user = cfg.User; h.user == "" {
		if h.user, err = currentUser(); err != nil {
			return nil, err
		}
	}
	// Host names in lower case, as ssh has them (also for known_hosts).
	h.addr = net.JoinHostPort(strings.ToLower(cmp.Or(cfg.HostName, t.host)), cmp.Or(cfg.Port, "22"))
	switch {
	case spec.ConnectTimeout != "":
		d, err := time.ParseDuration(spec.ConnectTimeout)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("connect_timeout %q: want a duration such as 10s", spec.ConnectTimeout)
		}
		h.timeout = d
	case cfg.ConnectTimeout > 0:
		h.timeout = cfg.ConnectTimeout
	}
	// Keepalives: every 30 s, a reply due within the connect timeout and
	// 15 s; or, as in ssh, every ServerAliveInterval, and dead after
	// ServerAliveCountMax (default 3) intervals without a reply.
	h.alive, h.aliveWait = 30*time.Second, h.timeout+15*time.Second
	if cfg.ServerAliveInterval > 0 {
		h.alive, h.aliveWait = cfg.ServerAliveInterval, 3*cfg.ServerAliveInterval
		if cfg.ServerAliveCountMax > 0 {
			h.aliveWait = time.Duration(cfg.ServerAliveCountMax) * cfg.ServerAliveInterval
		}
	}
	h.knownHosts, h.globalKnownHosts, h.knownHostsCmd = cfg.KnownHosts, cfg.GlobalKnownHosts, cfg.KnownHostsCommand
	if h.globalKnownHosts == nil {
		h.globalKnownHosts = GlobalKnownHosts
	}
	if spec.KnownHosts != "" {
		p, err := expandHome(spec.KnownHosts)
		if err != nil {
			return nil, err
		}
		h.knownHosts, h.globalKnownHosts, h.knownHostsCmd = []string{p}, nil, nil
	}
	if h.jump, h.jumpInventory = spec.Jump, spec.Jump != ""; h.jump == "" {
		if cfg.ProxyCommand != "" {
			if err := h.setProxy(cfg, t); err != nil {
				return nil, err
			}
		}
		h.jump = strings.ReplaceAll(cfg.ProxyJump, "ssh://", "")
		_, last := splitJumps(h.jump)
		if j, err := splitTarget(last); h.jump != "" && err == nil && strings.EqualFold(j.host, t.host) {
			return nil, fmt.Errorf("ssh config gives %s itself as its ProxyJump; leave it out of the Host pattern that sets ProxyJump (e.g. Host * !%s)", t.host, t.host)
		}
	}
	return h, nil
}

// setProxy takes the ProxyCommand cfg gives for t: its command line,
// tokens expanded as ssh expands them (the host name connected to, the
// host as given, the port, the remote user, the host key alias).
func (h *SSH) setProxy(cfg sshconfig.Settings, t target) error {
	switch {
	case cfg.ProxyCommand == "-":
		return fmt.Errorf("ssh config sets ProxyCommand - for %s (%s): planrun has no standard input "+
			"and output to give its connections (set a command there, or ProxyJump)", t.host, cfg.ProxyCommandAt)
	case cfg.ProxyUseFdpass:
		return fmt.Errorf("ssh config sets ProxyUseFdpass for %s: planrun does not take a socket back from "+
			"the ProxyCommand (%s), it uses the command's standard input and output (set ProxyUseFdpass no)",
			t.host, cfg.ProxyCommandAt)
	}
	host, port, _ := net.SplitHostPort(h.addr)
	line, err := sshconfig.ProxyCommandLine(cfg.ProxyCommand, sshconfig.ProxyTokens{
		Host: host, Given: t.host, Port: port, User: h.user, KeyAlias: cfg.HostKeyAlias})
	if err != nil {
		return fmt.Errorf("%s: %w", cfg.ProxyCommandAt, err)
	}
	h.proxy, h.proxyAt = line, cfg.ProxyCommandAt
	return nil
}

// splitJumps splits a comma-separated chain of jump hosts into the hops
// before the last one (still a chain) and the last one, the host this
// host's connection is tunnelled through.
func splitJumps(chain string) (before, last string) {
	if i := strings.LastIndexByte(chain, ','); i >= 0 {
		return chain[:i], chain[i+1:]
	}
	return "", chain
}

// sshConfigFiles are the ssh_config files Spec.SSHConfig names: by
// default the user's and the system's (those that exist), "none" for
// none, or one file (which must exist; the system's is then not read,
// as with ssh -F).
func sshConfigFiles(setting string) ([]sshconfig.File, error) {
	switch setting {
	case "none":
		return nil, nil
	case "":
		var files []sshconfig.File
		if home, err := os.UserHomeDir(); err == nil {
			files = append(files, sshconfig.File{Path: filepath.Join(home, ".ssh", "config")})
		}
		return append(files, sshconfig.File{Path: SystemSSHConfig, System: true}), nil
	}
	p, err := expandHome(setting)
	if err != nil {
		return nil, err
	}
	return []sshconfig.File{{Path: p, Required: true}}, nil
}

package hosts

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"strings"
	"time"
)

// Host is one machine's files and commands. Paths are the host's own
// (absolute, or relative to the host's working directory). Every method
// honours ctx. Implementations are safe for concurrent use.
type Host interface {
	// Name is the inventory name ("local", "old-guest", ...).
	Name() string
	Stat(ctx context.Context, path string) (fs.FileInfo, error)
	// ReadDir lists a directory, sorted by name.
	ReadDir(ctx context.Context, path string) ([]fs.FileInfo, error)
	Open(ctx context.Context, path string) (io.ReadCloser, error)
	// Create makes a new file at path for writing, with mode perm (a
	// host's umask may narrow it). Whatever is at path, unless it is a
	// directory, is replaced and never written through: a symbolic link
	// is removed, not followed, and a file is unlinked, so that other
	// hard links to it keep their content. (Planrun's temp names are
	// predictable: anyone who can write the directory could plant a link
	// there ahead of time.)
	Create(ctx context.Context, path string, perm fs.FileMode) (io.WriteCloser, error)
	MkdirAll(ctx context.Context, path string, perm fs.FileMode) error
	// Rename atomically replaces newpath with oldpath (POSIX rename).
	Rename(ctx context.Context, oldpath, newpath string) error
	Remove(ctx context.Context, path string) error
	RemoveAll(ctx context.Context, path string) error
	Chmod(ctx context.Context, path string, mode fs.FileMode) error
	Chtimes(ctx context.Context, path string, atime, mtime time.Time) error
	// SHA256 returns the lowercase hex sha256 of a file's content, computed
	// on the host where it can be (sha256sum over SSH) to avoid moving bytes.
	SHA256(ctx context.Context, path string) (string, error)
	// Exec runs a command on the host. A non-zero exit status is reported in
	// Result.ExitCode with a nil error; err is for failures to run at all.
	// When ctx ends the command is killed.
	Exec(ctx context.Context, cmd Command) (Result, error)
	Close() error
}

// Command is a command to run on a host.
type Command struct {
	Path string   // program
	Args []string // arguments (not including Path)
	Env  map[string]string
	Dir  string
	// Stdout and Stderr, when set, receive the output as it arrives in
	// addition to it being captured in Result.
	Stdout io.Writer
	Stderr io.Writer
	// Keep, when positive, bounds what Result holds of each stream to
	// its last Keep bytes (Stdout and Stderr above still get it all).
	Keep int
}

// Result is how a command ended.
type Result struct {
	ExitCode int
	Stdout   []byte
	Stderr   []byte
	// StdoutCut and StderrCut count the bytes left out before Stdout
	// and Stderr (Command.Keep).
	StdoutCut, StderrCut int64
}

// Resolver gives access to the hosts of a plan's inventory.
type Resolver interface {
	// Host returns the connected host called name ("local" always exists).
	// Connections are shared: one per host for all steps.
	Host(ctx context.Context, name string) (Host, error)
	// Spec returns the inventory entry for name.
	Spec(name string) (Spec, bool)
}

// Spec is one entry of a plan's `hosts:` inventory (or a hosts.yaml).
type Spec struct {
	// SSH is "user@host[:port]"; empty means the local machine.
	SSH string `yaml:"ssh" json:"ssh,omitempty"`
	// IdentityFiles are private key files (each with its certificate
	// when KEY-cert.pub exists); ssh-agent is used too when SSH_AUTH_SOCK
	// is set. Relative names, here and in KnownHosts and SSHConfig, are
	// relative to the plan's directory (see InDir).
	IdentityFiles []string `yaml:"identity_files" json:"identity_files,omitempty"`
	// KnownHosts is the known_hosts file (default, as ssh:
	// ~/.ssh/known_hosts{,2} then /etc/ssh/ssh_known_hosts{,2}, or the
	// files ssh_config names).
	KnownHosts string `yaml:"known_hosts" json:"known_hosts,omitempty"`
	// Jump is another inventory host (or user@host[:port]) to tunnel through.
	Jump string `yaml:"jump" json:"jump,omitempty"`
	// ConnectTimeout, e.g. "10s" (default 15s).
	ConnectTimeout string `yaml:"connect_timeout" json:"connect_timeout,omitempty"`
	// SSHConfig is the OpenSSH client configuration that fills in what
	// the fields above leave out for this host (HostName, User, Port,
	// IdentityFile, CertificateFile, IdentityAgent, IdentitiesOnly,
	// UserKnownHostsFile, GlobalKnownHostsFile, HostKeyAlias, ProxyJump,
	// ConnectTimeout, ServerAliveInterval, ServerAliveCountMax, CanonicalizeHostname), as ssh would: by default ~/.ssh/config then
	// /etc/ssh/ssh_config; "none" reads none; a path reads only that file
	// (like ssh -F).
	SSHConfig string `yaml:"ssh_config" json:"ssh_config,omitempty"`
	// Root, for a local host, is a directory relative paths on that host
	// resolve against (lets one machine stand in for several clusters).
	// A relative Root is relative to the plan's directory. For an SSH host,
	// Root (absolute, on that host) likewise anchors relative paths and is
	// where commands run by default (else the login directory).
	Root string `yaml:"root" json:"root,omitempty"`
	// Flow is the FATE Flow base URL, e.g. http://10.1.0.5:9380.
	Flow string `yaml:"flow" json:"flow,omitempty"`
	// FlowAppKey and FlowSecretEnv enable request signing; the secret is read
	// from the named environment variable, never from the plan.
	FlowAppKey    string `yaml:"flow_app_key" json:"flow_app_key,omitempty"`
	FlowSecretEnv string `yaml:"flow_secret_env" json:"flow_secret_env,omitempty"`
	// FateBase is the FATE (1.5/1.6) or FATE Flow (1.7+) root whose
	// model_local_cache holds models.
	FateBase string `yaml:"fate_base" json:"fate_base,omitempty"`
}

// ParseFlowURL parses a host's FATE Flow base URL (Spec.Flow): http or
// https, with a host, and no user or password (FATE Flow requests are
// signed with flow_app_key and the secret flow_secret_env names: a
// password in the URL would be shown and recorded wherever the URL is).
// Errors name the URL as RedactURL shows it.
func ParseFlowURL(s string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) { // it quotes the URL as it is
			err = ue.Err
		}
		return nil, fmt.Errorf("parse FATE Flow URL %q: %w", RedactURL(s), err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("parse FATE Flow URL %q: scheme must be http or https", RedactURL(s))
	}
	if u.Host == "" {
		return nil, fmt.Errorf("parse FATE Flow URL %q: no host", RedactURL(s))
	}
	if u.User != nil {
		return nil, fmt.Errorf("parse FATE Flow URL %q: %w", RedactURL(s), ErrFlowUserinfo)
	}
	return u, nil
}

// ErrFlowUserinfo is ParseFlowURL's error for a URL with a user or password.
var ErrFlowUserinfo = errors.New("no user or password in the URL: FATE Flow requests are signed " +
	"with flow_app_key and the secret in the environment variable that flow_secret_env names")

// RedactURL is s, a URL that may not parse, with whatever stands between
// "scheme://" (or the start) and the last "@" before the path masked: a
// user and password are not shown.
func RedactURL(s string) string {
	start := 0
	if i := strings.Index(s, "://"); i >= 0 {
		start = i + len("://")
	}
	end := len(s)
	if j := strings.IndexAny(s[start:], "/?#"); j >= 0 {
		end = start + j
	}
	if at := strings.LastIndex(s[start:end], "@"); at >= 0 {
		return s[:start] + "***@" + s[start+at+1:]
	}
	return s
}

package hosts

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"path"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/planrun/planrun/internal/sshconfig"
)

// SSHOptions configure an SSH host.
type SSHOptions struct {
	// Jump resolves a jump host name to an inventory SSH host; ok=false
	// means the name is not an inventory host (it is then user@host[:port],
	// reached with this host's identity files and known_hosts).
	Jump func(ctx context.Context, name string) (h *SSH, ok bool, err error)
}

// SFTP tuning: payload bytes per request (the size every SFTP server
// takes, and the larger one of servers that announce OpenSSH's limits),
// bytes in flight per file, and SFTP sessions per connection (OpenSSH
// serves each session in its own process, so several sessions use several
// server CPUs).
var (
	SFTPMaxPacket     = 32 << 10
	SFTPOpenSSHPacket = 261120 // OpenSSH sftp-server's max-write-length (and read length)
	SFTPInFlight      = 2 << 20
	SFTPSessions      = 3
)

// SSH is a host reached over SSH: files through one SFTP session and
// commands through exec sessions, all multiplexed over a single SSH
// connection made on first use and made again on the next call after it
// drops. Relative paths resolve against Spec.Root when set, else against
// the login directory.
type SSH struct {
	name    string
	spec    Spec
	opts    SSHOptions
	user    string
	addr    string // host:port
	timeout time.Duration
	// From the spec, else from ssh_config (see newSSH): known_hosts
	// files, the user's (nil: ~/.ssh/known_hosts{,2}) and the system's;
	// the identity and certificate files ssh_config adds to the spec's
	// (skipped when missing, as in ssh); its IdentityAgent (a socket,
	// "none", or "" for SSH_AUTH_SOCK), IdentitiesOnly and HostKeyAlias;
	// the jump host (a chain "a,b" from a ProxyJump) and whether it may
	// name an inventory host (only the spec's may).
	knownHosts       []string
	globalKnownHosts []string
	configKeys       []string
	configCerts      []string
	agentSock        string
	identitiesOnly   bool
	hostKeyAlias     string
	knownHostsCmd    *sshconfig.KnownHostsCommand // nil: none (or the spec names its known_hosts)
	jump             string
	jumpInventory    bool
	// The ProxyCommand from ssh_config, as the shell line to run, and
	// where it was set ("file:line"); used when there is no jump host.
	proxy, proxyAt string
	depth          int // how many hosts tunnel through this one
	// Keepalives: every alive, and a connection whose keepalive is not
	// answered within aliveWait counts as dead.
	alive, aliveWait time.Duration

	mu   sync.Mutex
	conn *sshConn
	// The last dial's failure and when it ended: callers that were
	// already waiting for it get it too, instead of dialling in turn.
	dialErr   error
	dialEnded time.Time
	ownJump   *SSH // a jump host not in the inventory
	closed    bool
	sumTool   int // index in hashTools of the first one to try; len = none works
	// canRun: the host runs commands (known once asked: runsCommands).
	canRun, canRunKnown bool

	// sessions bounds concurrent exec sessions: OpenSSH allows 10 per
	// connection by default (MaxSessions), one of which is SFTP's.
	sessions chan struct{}
	// running counts the commands (Exec) in progress, for openSession.
	running atomic.Int32
}

// MaxExecSessions is how many commands run at once on one SSH host: with
// the SFTP sessions and one spare for killing, within OpenSSH's default
// MaxSessions of 10.
const MaxExecSessions = 6

var (
	_ Host   = (*SSH)(nil)
	_ Linker = (*SSH)(nil)
)

type sshConn struct {
	client *ssh.Client
	sftps  []*sftp.Client // SFTP sessions (servers run one process each)
	shells *shells        // hash shells (see sshshell.go)
	packet int            // SFTP payload bytes per request
	next   atomic.Uint32
}

// sftp picks an SFTP session, round robin.
func (c *sshConn) sftp() *sftp.Client {
	return c.sftps[int(c.next.Add(1))%len(c.sftps)]
}

func (c *sshConn) closeSFTP() {
	for _, s := range c.sftps {
		s.Close()
	}
}

// Name returns the inventory name.
func (h *SSH) Name() string { return h.name }

// Addr returns the host:port connected to.
func (h *SSH) Addr() string { return h.addr }

func (h *SSH) resolve(p string) string {
	if p == "" {
		p = "."
	}
	if rest, ok := homeRel(p); ok {
		// Relative to the login directory, which is the home: where
		// SFTP starts and commands run.
		return rest
	}
	if root := h.spec.Root; root != "" && !path.IsAbs(p) {
		if rest, ok := homeRel(root); ok {
			root = rest
		}
		return path.Join(root, p)
	}
	return path.Clean(p)
}

// connect returns the live connection, dialling when there is none. One
// dial at a time: callers that asked while a dial was under way and saw it
// fail get its error (a dead host costs its steps one connect timeout, not
// one each); callers that ask later dial again.
func (h *SSH) connect(ctx context.Context) (*sshConn, error) {
	if err := ctx.Err(); err != nil {
		return nil, context.Cause(ctx)
	}
	asked := time.Now()
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, fmt.Errorf("host %s: closed", h.name)
	}
	if h.conn != nil {
		return h.conn, nil
	}
	if h.dialErr != nil && h.dialEnded.After(asked) {
		return nil, h.dialErr
	}
	c, err := h.dial(ctx)
	if err != nil {
		err = fmt.Errorf("connect to %s (%s@%s): %w", h.name, h.user, h.addr, err)
		h.dialErr, h.dialEnded = nil, time.Now()
		if ctx.Err() == nil { // not this caller's deadline or cancel: shared
			h.dialErr = err
		}
		return nil, err
	}
	h.dialErr = nil
	h.conn = c
	go h.watch(c)
	return c, nil
}

// watch forgets c when its connection ends, so the next call re-dials, and
// sends keepalives so that a silently dead peer is noticed (every 30 s,
// or ssh_config's ServerAliveInterval).
func (h *SSH) watch(c *sshConn) {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(h.alive)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				ok := make(chan error, 1)
				go func() { _, _, err := c.client.SendRequest("keepalive@openssh.com", true, nil); ok <- err }()
				select {
				case err := <-ok:
					if err != nil {
						c.client.Close()
					}
				case <-time.After(h.aliveWait):
					c.client.Close()
				case <-done:
					return
				}
			}
		}
	}()
	c.client.Wait()
	close(done)
	c.closeSFTP()
	h.mu.Lock()
	if h.conn == c {
		h.conn = nil
	}
	h.mu.Unlock()
	c.shells.close() // after h.conn is cleared: no shell of c goes back idle now
}

// drop closes c (after an error that shows it is broken).
func (h *SSH) drop(c *sshConn) {
	c.client.Close()
}

func (h *SSH) dial(ctx context.Context) (*sshConn, error) {
	cfg, cleanup, err := h.clientConfig()
	if err != nil {
		return nil, err
	}
	defer cleanup()
	ctx, cancel := context.WithTimeoutCause(ctx, h.timeout, fmt.Errorf("connect timeout %s exceeded", h.timeout))
	defer cancel()
	var nc net.Conn
	var proxy *proxyConn
	if h.jump != "" {
		j, err := h.jumpHost(ctx)
		if err != nil {
			return nil, err
		}
		jc, err := j.connect(ctx)
		if err != nil {
			return nil, fmt.Errorf("jump host: %w", err)
		}
		nc, err = jc.client.DialContext(ctx, "tcp", h.addr)
		if err != nil {
			return nil, fmt.Errorf("through jump host %s: %w", j.name, err)
		}
	} else if h.proxy != "" {
		if proxy, err = startProxy(h.proxy, h.proxyAt); err != nil {
			return nil, err
		}
		nc = proxy
	} else {
		var d net.Dialer
		nc, err = d.DialContext(ctx, "tcp", h.addr)
		if err != nil {
			if ctx.Err() != nil {
				return nil, context.Cause(ctx)
			}
			return nil, err
		}
		nc = quickAck(nc)
	}
	nc = newBatchConn(nc)
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	sc, chans, reqs, err := ssh.NewClientConn(nc, h.addr, cfg)
	if !stop() {
		if err == nil {
			sc.Close()
		}
		if proxy != nil { // closed, and so ended, by the AfterFunc
			return nil, proxy.explain(context.Cause(ctx), proxyExitWait+proxyKillWait+time.Second)
		}
		return nil, context.Cause(ctx)
	}
	if err != nil {
		if proxy != nil {
			// The command's own story, once it has ended: a proxy
			// that fails usually exits at once.
			err = proxy.explain(err, time.Second)
		}
		nc.Close()
		return nil, err
	}
	client := ssh.NewClient(sc, chans, reqs)
	c := &sshConn{client: client, shells: newShells()}
	// Starting the SFTP sessions waits for the server's answers; a server
	// that stops answering now is given up with the connect timeout.
	stopSetup := context.AfterFunc(ctx, func() { client.Close() })
	defer stopSetup()
	size := SFTPMaxPacket
	for len(c.sftps) < SFTPSessions {
		sf, err := sftp.NewClient(client,
			sftp.UseConcurrentWrites(true),
			sftp.UseConcurrentReads(true),
			sftp.MaxConcurrentRequestsPerFile(max(SFTPInFlight/size, 1)),
			sftp.MaxPacketUnchecked(size),
		)
		if err != nil {
			switch {
			case ctx.Err() != nil:
			case strings.Contains(err.Error(), "version packet"):
				err = h.explainSFTPStart(client, err)
			case strings.Contains(err.Error(), "subsystem request failed"):
				err = fmt.Errorf("%w: the server refuses SFTP, which planrun moves files with "+
					"(its sshd_config needs a `Subsystem sftp` line, and no Match block that takes it away from %s)", err, h.user)
			}
			client.Close()
			c.closeSFTP()
			if ctx.Err() != nil {
				err = context.Cause(ctx)
			}
			return nil, fmt.Errorf("start sftp: %w", err)
		}
		if _, ok := sf.HasExtension("limits@openssh.com"); ok && size < SFTPOpenSSHPacket {
			// OpenSSH's sftp-server takes writes (and serves reads) of
			// up to 255 KiB: one request and one reply where 32 KiB
			// packets take eight, each split into a full SSH packet and a
			// 29-byte one.
			sf.Close()
			size = SFTPOpenSSHPacket
			continue
		}
		c.sftps = append(c.sftps, sf)
	}
	if !stopSetup() { // the context ended: the connection is closed
		c.closeSFTP()
		return nil, fmt.Errorf("start sftp: %w", context.Cause(ctx))
	}
	c.packet = size
	return c, nil
}

// explainSFTPStart looks at what the SFTP subsystem prints unasked when
// its first answer could not be read: sshd starts an external sftp-server
// through the user's login shell, and text its startup files print comes
// first, where an SFTP packet should. That is named, with the remedy.
func (h *SSH) explainSFTPStart(client *ssh.Client, err error) error {
	sess, serr := client.NewSession()
	if serr != nil {
		return err
	}
	defer sess.Close()
	out, serr := sess.StdoutPipe()
	if serr != nil || sess.RequestSubsystem("sftp") != nil {
		return err
	}
	got := make(chan []byte, 1)
	go func() {
		b := make([]byte, 200)
		n, _ := io.ReadAtLeast(out, b, 1)
		got <- b[:max(n, 0)]
	}()
	var text []byte
	select {
	case text = <-got:
	case <-time.After(2 * time.Second):
	}
	if len(text) < 4 || !utf8.Valid(text) || bytes.ContainsFunc(text[:4], func(r rune) bool { return r < ' ' && r != '\n' && r != '\t' }) {
		return err // no text (an SFTP packet starts with its length)
	}
	return fmt.Errorf("%w: the SFTP server printed %q before its first answer: sshd starts it through "+
		"the login shell of %s, whose startup files (e.g. ~/.bashrc) print to standard output; make them "+
		"print only in interactive shells (this breaks scp and sftp too)", err, text, h.user)
}

func (h *SSH) jumpHost(ctx context.Context) (*SSH, error) {
	if h.opts.Jump != nil && h.jumpInventory {
		j, ok, err := h.opts.Jump(ctx, h.jump)
		if err != nil {
			return nil, fmt.Errorf("jump host %s: %w", h.jump, err)
		}
		if ok && j == h {
			return nil, fmt.Errorf("jump host %s: a host cannot jump through itself", h.jump)
		}
		if ok {
			return j, nil
		}
	}
	if h.ownJump == nil {
		rest, last := splitJumps(h.jump)
		j, err := newSSH(last, Spec{SSH: last, Jump: rest, IdentityFiles: h.spec.IdentityFiles,
			KnownHosts: h.spec.KnownHosts, ConnectTimeout: h.spec.ConnectTimeout, SSHConfig: h.spec.SSHConfig},
			SSHOptions{}, h.depth+1)
		if err != nil {
			return nil, fmt.Errorf("jump host %s: %w", last, err)
		}
		h.ownJump = j
	}
	return h.ownJump, nil
}

// Close closes the connection; the host cannot be used afterwards.
func (h *SSH) Close() error {
	h.mu.Lock()
	c, j := h.conn, h.ownJump
	h.conn, h.closed = nil, true
	h.mu.Unlock()
	var err error
	if c != nil {
		// The connection first: closing an SFTP session waits for the
		// server to close it too, which a dead server never does.
		err = c.client.Close()
		c.closeSFTP()
	}
	if j != nil {
		j.Close()
	}
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

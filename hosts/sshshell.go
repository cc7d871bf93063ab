package hosts

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// A hash shell is a long-lived `sh` on the host that runs planrun's short
// helper commands (the sha256 of files it has written) one after another.
// Every exec session makes the login shell start again, and a login shell
// often does real work first: a ~/.bashrc that runs `pyenv init` or
// `conda init` costs 0.1–0.2 s of the server's CPU per command. The shell
// pays that once per connection. Commands it cannot run as expected fall
// back to an exec session of their own, which also gives their error
// message in full.

// maxShells is how many hash shells a connection keeps (each holds one of
// the host's exec session slots while it lives).
const maxShells = 2

// shellStartTimeout bounds how long a new shell may take to answer.
const shellStartTimeout = 15 * time.Second

type hashShell struct {
	sess   *ssh.Session
	in     io.WriteCloser
	out    *bufio.Reader
	marker string
	once   sync.Once
	h      *SSH
	pool   *shells // counts s as live once started
}

// shells is the per-connection pool of hash shells.
type shells struct {
	idle chan *hashShell // shells ready for a command

	mu       sync.Mutex
	broken   bool          // the host cannot run one: do not try again
	starting int           // shells being started (at most one at a time)
	live     int           // shells started and not discarded
	changed  chan struct{} // closed (and replaced) whenever a start ends or a shell is discarded
}

func newShells() *shells {
	return &shells{idle: make(chan *hashShell, maxShells), changed: make(chan struct{})}
}

// reserve counts a shell about to be started, when one may be: none is
// being started, and fewer than maxShells live. p.mu is held.
func (p *shells) reserve() bool {
	if p.broken || p.starting > 0 || p.live >= maxShells {
		return false
	}
	p.starting++
	return true
}

// signal wakes whoever waits for a change of p. p.mu is held.
func (p *shells) signal() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// startOne starts the shell reserved in p (made idle first when idle is
// set); a failure other than the lack of a free exec session marks p
// broken.
func (h *SSH) startOne(ctx context.Context, c *sshConn, p *shells, idle bool) (*hashShell, error) {
	s, err := h.startShell(ctx, c)
	if err == nil {
		p.mu.Lock()
		p.live++
		s.pool = p
		p.mu.Unlock()
		if idle {
			h.putBack(c, s)
		}
	}
	p.mu.Lock()
	if err != nil && !errors.Is(err, errNoSessionSlot) && ctx.Err() == nil {
		p.broken = true
	}
	p.starting--
	p.signal()
	p.mu.Unlock()
	return s, err
}

// putBack makes s idle again, or discards it when its connection is no
// longer the host's.
func (h *SSH) putBack(c *sshConn, s *hashShell) {
	h.mu.Lock()
	live := h.conn == c
	h.mu.Unlock()
	if live {
		c.shells.idle <- s
	} else {
		s.discard()
	}
}

// warmHashShell starts a hash shell in the background when the host has
// none, so that the first hash command finds it ready: starting one costs
// the login shell's start (0.1–0.3 s with a heavy ~/.bashrc), which then
// overlaps the transfer instead of following it.
func (h *SSH) warmHashShell(ctx context.Context) {
	c, err := h.connect(ctx)
	if err != nil {
		return
	}
	p := c.shells
	p.mu.Lock()
	ok := p.live == 0 && p.reserve()
	p.mu.Unlock()
	if ok {
		go h.startOne(ctx, c, p, true)
	}
}

// hashShellLive reports whether the connection has a hash shell started
// (idle or running a command).
func (h *SSH) hashShellLive() bool {
	h.mu.Lock()
	c := h.conn
	h.mu.Unlock()
	if c == nil {
		return false
	}
	c.shells.mu.Lock()
	defer c.shells.mu.Unlock()
	return c.shells.live > 0
}

// close discards the idle shells (the connection is gone).
func (p *shells) close() {
	for {
		select {
		case s := <-p.idle:
			s.discard()
		default:
			return
		}
	}
}

// quickOpts are how runQuick runs a command in a hash shell.
type quickOpts struct {
	spread bool // another shell may be started when every one is busy (see takeShell)
	split  int  // see shellLine
}

// runQuick runs a short command whose output is all that matters (a hash
// command): through a hash shell when the host has one, else in an exec
// session of its own. A non-zero exit status other than 127 (not found)
// is run again in its own session, for its full error output.
func (h *SSH) runQuick(ctx context.Context, cmd Command, o quickOpts) (Result, error) {
	if res, ok := h.runInShell(ctx, cmd, o); ok {
		if res.ExitCode == 0 || res.ExitCode == 127 {
			return res, nil
		}
	}
	if err := ctx.Err(); err != nil {
		return Result{}, fmt.Errorf("run %s on %s: %w", cmd.Path, h.name, context.Cause(ctx))
	}
	return h.Exec(ctx, cmd)
}

// runInShell runs cmd in a hash shell; ok=false when there is none to
// use, or the shell broke (it is then discarded).
func (h *SSH) runInShell(ctx context.Context, cmd Command, o quickOpts) (Result, bool) {
	if len(cmd.Env) > 0 || strings.ContainsAny(cmd.Path+cmd.Dir+strings.Join(cmd.Args, ""), "\n\r") {
		return Result{}, false
	}
	c, err := h.connect(ctx)
	if err != nil {
		return Result{}, false
	}
	s, ok := h.takeShell(ctx, c, c.shells, o.spread)
	if !ok {
		return Result{}, false
	}
	res, err := s.run(ctx, h.shellLine(cmd, o.split))
	if err != nil {
		s.discard()
		return Result{}, false
	}
	h.putBack(c, s)
	return res, true
}

// takeShell returns an idle shell of p; else starts one when p has none,
// or when spread is set and p may start another; else waits for a shell
// to be idle (or started, or discarded, and looks again).
//
// A new shell costs a start of the login shell (0.1–0.3 s of the host's
// CPU with a heavy ~/.bashrc), longer than a busy shell takes to hash a
// batch of small files. So only a large file's hash (spread), which can
// take as long as that start, has another shell started beside a busy one.
func (h *SSH) takeShell(ctx context.Context, c *sshConn, p *shells, spread bool) (*hashShell, bool) {
	for {
		select {
		case s := <-p.idle:
			return s, true
		default:
		}
		p.mu.Lock()
		if p.broken {
			p.mu.Unlock()
			return nil, false
		}
		if (spread || p.live == 0) && p.reserve() {
			p.mu.Unlock()
			s, err := h.startOne(ctx, c, p, false)
			return s, err == nil
		}
		changed := p.changed
		p.mu.Unlock()
		select {
		case s := <-p.idle:
			return s, true
		case <-changed: // look again
		case <-ctx.Done():
			return nil, false
		}
	}
}

var errNoSessionSlot = errors.New("no free exec session")

// startShell starts a hash shell on c, taking one exec session slot
// without waiting for it.
func (h *SSH) startShell(ctx context.Context, c *sshConn) (*hashShell, error) {
	select {
	case h.sessions <- struct{}{}:
	default:
		return nil, errNoSessionSlot
	}
	s := &hashShell{h: h}
	fail := func(err error) (*hashShell, error) {
		s.discard()
		return nil, err
	}
	var b [12]byte
	rand.Read(b[:])
	s.marker = "planrun-done-" + hex.EncodeToString(b[:])
	sess, err := h.startSession(ctx, c, "exec /bin/sh", func(ss *ssh.Session) error {
		var err error
		if s.in, err = ss.StdinPipe(); err != nil {
			return err
		}
		out, err := ss.StdoutPipe()
		if err != nil {
			return err
		}
		s.out = bufio.NewReaderSize(out, 64<<10)
		ss.Stderr = io.Discard
		return nil
	})
	if err != nil {
		return fail(err)
	}
	s.sess = sess
	// Whatever the login shell printed comes before this answer.
	ctx, cancel := context.WithTimeout(ctx, shellStartTimeout)
	defer cancel()
	if _, err := s.run(ctx, "true"); err != nil {
		return fail(err)
	}
	return s, nil
}

// shellLine is cmd as one line for the hash shell: run in a subshell (the
// shell keeps its own directory), errors discarded (a failure is run
// again in its own session for them).
//
// With split > 0, the arguments after the first split (files to hash)
// are halved and the halves run as two processes at once: the first in
// the background, writing straight to the output, the second into a
// variable that is printed after the first has ended, so the output
// keeps the arguments' order. The status is the first's when it failed,
// else the second's.
func (h *SSH) shellLine(cmd Command, split int) string {
	var b strings.Builder
	b.WriteString("(")
	if split <= 0 || len(cmd.Args)-split < 2 {
		h.writeExec(&b, cmd)
	} else {
		files := cmd.Args[split:]
		first, second := cmd, cmd
		first.Args = append(cmd.Args[:split:split], files[:len(files)/2]...)
		second.Args = append(cmd.Args[:split:split], files[len(files)/2:]...)
		h.writeCd(&b, cmd)
		writeExport(&b, cmd)
		b.WriteString("{ ")
		writeProgram(&b, first)
		b.WriteString(" & b=$(exec ")
		writeProgram(&b, second)
		b.WriteString(`); s=$?; wait $! || s=$?; [ -z "$b" ] || printf '%s\n' "$b"; exit $s; }`)
	}
	b.WriteString(") </dev/null 2>/dev/null")
	return b.String()
}

// run runs one line and returns its output and exit status; any error
// means the shell can no longer be trusted.
func (s *hashShell) run(ctx context.Context, line string) (Result, error) {
	type answer struct {
		res Result
		err error
	}
	ch := make(chan answer, 1)
	go func() {
		if _, err := io.WriteString(s.in, line+"; echo "+s.marker+" $?\n"); err != nil {
			ch <- answer{err: err}
			return
		}
		var out []byte
		for {
			l, err := s.out.ReadString('\n')
			if err != nil {
				ch <- answer{err: err}
				return
			}
			// The marker may follow text without a newline (a login
			// shell's greeting, before the first answer).
			if i := strings.Index(l, s.marker+" "); i >= 0 {
				code, err := strconv.Atoi(strings.TrimSpace(l[i+len(s.marker)+1:]))
				ch <- answer{res: Result{ExitCode: code, Stdout: append(out, l[:i]...)}, err: err}
				return
			}
			out = append(out, l...)
		}
	}()
	select {
	case a := <-ch:
		return a.res, a.err
	case <-ctx.Done():
		s.discard() // unblocks the reader
		return Result{}, context.Cause(ctx)
	}
}

// discard closes the shell and gives back its exec session slot.
func (s *hashShell) discard() {
	s.once.Do(func() {
		if s.sess != nil {
			s.sess.Signal(ssh.SIGKILL)
			s.sess.Close()
		}
		<-s.h.sessions
		if p := s.pool; p != nil {
			p.mu.Lock()
			p.live--
			p.signal()
			p.mu.Unlock()
		}
	})
}

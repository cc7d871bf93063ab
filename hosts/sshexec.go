package hosts

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// ShellQuote quotes s for a POSIX shell.
func ShellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=:@+,%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

const pidMarker = "planrun-pid:"

// remoteShell is the command line of every command's session: sshd hands
// it to the user's login shell, which need not be a POSIX shell (fish and
// tcsh read "$$", ">&2" or quotes otherwise), and every shell runs this
// one the same. The POSIX script (commandLine) then goes to sh on its
// standard input, which the program gets at its end.
const remoteShell = "exec /bin/sh -s"

// commandLine builds the script sh runs (see remoteShell): it reports the shell's pid (the
// session's process group, as sshd starts each command in a new session)
// on stderr for killing, changes directory, sets the environment and
// execs the program (servers often refuse "env" requests).
func (h *SSH) commandLine(cmd Command) string {
	var b strings.Builder
	b.WriteString("echo " + pidMarker + "$$ >&2; ")
	h.writeExec(&b, cmd)
	return b.String()
}

// writeExec writes "cd DIR && export K=V... && exec PATH ARGS...": cmd run
// in its directory (Spec.Root by default), replacing the shell.
func (h *SSH) writeExec(b *strings.Builder, cmd Command) {
	h.writeCd(b, cmd)
	writeExport(b, cmd)
	b.WriteString("exec ")
	writeProgram(b, cmd)
}

// writeCd writes the change to cmd's directory (the host's root when cmd
// has none), followed by " && ", if there is one.
func (h *SSH) writeCd(b *strings.Builder, cmd Command) {
	dir := cmd.Dir
	if dir == "" {
		dir = h.spec.Root
	}
	if dir != "" {
		b.WriteString("cd " + ShellQuote(h.resolve(dir)) + " && ")
	}
}

// writeExport writes "export K=V... && " for cmd's environment that sh can
// export. The values stay in the script, which sh reads on its standard
// input: as arguments of env(1) they could be read in /proc by every user
// of the host while it started.
func writeExport(b *strings.Builder, cmd Command) {
	keys := envKeys(cmd, true)
	if len(keys) == 0 {
		return
	}
	b.WriteString("export")
	for _, k := range keys {
		b.WriteString(" " + ShellQuote(k+"="+cmd.Env[k]))
	}
	b.WriteString(" && ")
}

// writeProgram writes cmd's program and arguments, quoted, through env(1)
// for the variables sh cannot export (see exportable).
func writeProgram(b *strings.Builder, cmd Command) {
	if keys := envKeys(cmd, false); len(keys) > 0 {
		b.WriteString("env ")
		for _, k := range keys {
			b.WriteString(ShellQuote(k+"="+cmd.Env[k]) + " ")
		}
	}
	b.WriteString(ShellQuote(cmd.Path))
	for _, a := range cmd.Args {
		b.WriteString(" " + ShellQuote(a))
	}
}

// envKeys returns the sorted names of cmd's environment that sh can
// export, or the others.
func envKeys(cmd Command, export bool) []string {
	var keys []string
	for k := range cmd.Env {
		if exportable(k) == export {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// exportable reports whether sh can export a variable named k: a shell
// name that bash (which is /bin/sh on some systems) does not keep
// read-only.
func exportable(k string) bool {
	switch k {
	case "", "BASHOPTS", "EUID", "PPID", "SHELLOPTS", "UID":
		return false
	}
	for i, c := range k {
		if c != '_' && !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// Exec runs cmd over an SSH session. When ctx ends, the remote process
// group gets SIGKILL (through a second session) and the session is closed.
func (h *SSH) Exec(ctx context.Context, cmd Command) (Result, error) {
	select {
	case h.sessions <- struct{}{}:
		defer func() { <-h.sessions }()
	case <-ctx.Done():
		return Result{}, fmt.Errorf("run %s on %s: %w", cmd.Path, h.name, context.Cause(ctx))
	}
	h.running.Add(1)
	defer h.running.Add(-1)
	c, err := h.connect(ctx)
	if err != nil {
		return Result{}, err
	}
	stdout, stderr := &tailBuffer{keep: cmd.Keep}, &tailBuffer{keep: cmd.Keep}
	so, se := streams(cmd)
	pidw := &pidFilter{w: teeTo(stderr, se), got: make(chan struct{})}
	sess, err := h.startSession(ctx, c, remoteShell, func(s *ssh.Session) error {
		s.Stdin = strings.NewReader(h.commandLine(cmd) + "\n")
		s.Stdout, s.Stderr = teeTo(stdout, so), pidw
		return nil
	})
	if err != nil {
		return Result{}, fmt.Errorf("run %s on %s: start: %w", cmd.Path, h.name, err)
	}
	defer sess.Close()
	done := make(chan error, 1)
	go func() { done <- sess.Wait() }()
	select {
	case err = <-done:
	case <-ctx.Done():
		_ = sess.Signal(ssh.SIGKILL)
		h.killGroup(c, pidw)
		sess.Close()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
		}
		return result(-1, stdout, stderr),
			fmt.Errorf("run %s on %s: %w", cmd.Path, h.name, context.Cause(ctx))
	}
	res := result(0, stdout, stderr)
	var ee *ssh.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		res.ExitCode = ee.ExitStatus()
		if ee.Signal() != "" {
			res.ExitCode = 128 + signalNumber(ssh.Signal(ee.Signal()))
		}
	default:
		if connLost(err) {
			h.drop(c)
		}
		return res, fmt.Errorf("run %s on %s: %w", cmd.Path, h.name, err)
	}
	return res, nil
}

// startSession opens a session on c, lets prepare set it up (streams)
// and starts command in it. Both steps wait for the server's answer,
// which a dead connection never gives: when ctx ends first, the context's
// error is returned at once and the session is closed whenever it comes.
func (h *SSH) startSession(ctx context.Context, c *sshConn, command string, prepare func(*ssh.Session) error) (*ssh.Session, error) {
	type started struct {
		s   *ssh.Session
		err error
	}
	ch := make(chan started, 1)
	go func() {
		s, err := h.openSession(ctx, c)
		if err != nil {
			ch <- started{nil, fmt.Errorf("open session: %w", err)}
			return
		}
		if err = prepare(s); err == nil {
			err = s.Start(command)
		}
		if err != nil {
			s.Close()
			s = nil
		}
		ch <- started{s, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil && connLost(r.err) {
			h.drop(c)
		}
		return r.s, r.err
	case <-ctx.Done():
		go func() {
			if r := <-ch; r.s != nil {
				r.s.Close()
			}
		}()
		return nil, context.Cause(ctx)
	}
}

// openSession opens a session channel. A server refuses one with
// "connect failed" when the connection has MaxSessions open (OpenSSH: 10),
// and a session just closed here still counts there until the server has
// seen the close, so a refusal is tried again: at once after closing an
// idle hash shell, if there is one (it holds a session); for as long as
// other commands of this host are running (one of them will end and free
// its session; ctx bounds the wait); else a few times, for up to about
// 2 s in all, counted from when the last other command ended (the server
// may not have seen its session close yet).
func (h *SSH) openSession(ctx context.Context, c *sshConn) (*ssh.Session, error) {
	alone := 0 // refusals since the last other command of this host ended
	for attempt := 1; ; attempt++ {
		s, err := c.client.NewSession()
		var oce *ssh.OpenChannelError
		if err == nil || !errors.As(err, &oce) || oce.Reason != ssh.ConnectionFailed || ctx.Err() != nil {
			return s, err
		}
		if alone++; h.running.Load() > 1 {
			alone = 0
		}
		if alone >= 20 {
			return s, err
		}
		select {
		case idle := <-c.shells.idle: // an idle hash shell holds a session: free it
			idle.discard()
			continue
		default:
		}
		t := time.NewTimer(min(time.Duration(attempt)*10*time.Millisecond, 100*time.Millisecond))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
}

// killGroup kills the remote process group whose leader reported its pid.
func (h *SSH) killGroup(c *sshConn, pw *pidFilter) {
	select {
	case <-pw.got:
	case <-time.After(2 * time.Second):
		return
	}
	if pw.pid <= 1 {
		return
	}
	// Bounded: on a connection whose server went silent, opening a
	// session would wait for ever.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := h.startSession(ctx, c, remoteShell, func(s *ssh.Session) error {
		// No "--": dash's kill takes none (and -s KILL -PID reads the
		// group as an option); -KILL -PID is read alike by dash and bash.
		s.Stdin = strings.NewReader("kill -KILL -" + strconv.Itoa(pw.pid) + " 2>/dev/null\n")
		return nil
	})
	if err != nil {
		return
	}
	defer s.Close()
	done := make(chan struct{})
	go func() { s.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

func signalNumber(s ssh.Signal) int {
	n := map[ssh.Signal]int{ssh.SIGHUP: 1, ssh.SIGINT: 2, ssh.SIGQUIT: 3, ssh.SIGILL: 4,
		ssh.SIGABRT: 6, ssh.SIGFPE: 8, ssh.SIGKILL: 9, ssh.SIGSEGV: 11, ssh.SIGPIPE: 13,
		ssh.SIGALRM: 14, ssh.SIGTERM: 15, ssh.SIGUSR1: 10, ssh.SIGUSR2: 12}[s]
	return n
}

// pidFilter strips the first stderr line (the pid marker) and records the pid.
type pidFilter struct {
	w    io.Writer
	mu   sync.Mutex
	line []byte
	done bool
	pid  int
	got  chan struct{}
}

func (p *pidFilter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(b)
	if !p.done {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			p.line = append(p.line, b...)
			return n, nil
		}
		p.line = append(p.line, b[:i]...)
		b = b[i+1:]
		p.done = true
		if s, ok := strings.CutPrefix(string(p.line), pidMarker); ok {
			p.pid, _ = strconv.Atoi(s)
		} else {
			b = append(append(p.line, '\n'), b...) // not ours: keep it
		}
		close(p.got)
	}
	if len(b) > 0 {
		if _, err := p.w.Write(b); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// sumStreamLimit: files up to this size are hashed by reading them over
// SFTP (cheaper than starting a remote process); larger ones remotely.
const sumStreamLimit = 4 << 20

// hashTools are the remote commands tried for sha256, fastest first
// (OpenSSL uses the CPU's SHA instructions; coreutils often does not).
var hashTools = []struct {
	path string
	args []string
}{
	{"openssl", []string{"dgst", "-sha256", "-r"}},
	{"sha256sum", []string{"--"}},
}

// SHA256 hashes a remote file: with openssl or sha256sum on the host for
// large files (streamed over SFTP when neither works), streamed over SFTP
// for small ones.
func (h *SSH) SHA256(ctx context.Context, p string) (string, error) {
	r, err := h.Open(ctx, p)
	if err != nil {
		return "", err
	}
	f := r.(*sshFile)
	fi, err := f.Stat()
	if err != nil {
		r.Close()
		return "", &fs.PathError{Op: "sha256", Path: h.name + ":" + p, Err: err}
	}
	if fi.Size() > sumStreamLimit {
		r.Close()
		sum, ok, err := h.remoteSum(ctx, p)
		if ok || err != nil {
			return sum, err
		}
		if r, err = h.Open(ctx, p); err != nil {
			return "", err
		}
	}
	defer r.Close()
	hs := sha256.New()
	if _, err := io.Copy(hs, r); err != nil {
		return "", &fs.PathError{Op: "sha256", Path: h.name + ":" + p, Err: err}
	}
	return hex.EncodeToString(hs.Sum(nil)), nil
}

// remoteSum hashes p with the first hash tool that works on the host
// (remembered); ok=false means none does.
func (h *SSH) remoteSum(ctx context.Context, p string) (string, bool, error) {
	sums, ok, err := h.sha256In(ctx, "", []string{h.resolve(p)}, true)
	if !ok || err != nil {
		return "", ok, err
	}
	return sums[0], true, nil
}

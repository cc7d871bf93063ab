package hosts

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"
)

// proxyConn is a connection carried by a ProxyCommand (ssh_config), run
// as ssh runs it: "exec COMMAND" by the user's shell ($SHELL, else
// /bin/sh), the connection on its standard input and output. Its
// standard error is kept (the end of it) to explain a failed connection.
// It runs in a process group of its own, so a Ctrl-C meant for planrun
// (which then stops its steps in order) does not cut the connection
// first; Close ends it as ssh does, with SIGHUP (SIGTERM when planrun
// runs with SIGHUP ignored, under nohup say: the command inherits that).
type proxyConn struct {
	cmd    *exec.Cmd
	stop   syscall.Signal // what Close sends first
	r, w   *os.File       // its standard output and input
	at     string         // where the ProxyCommand was set
	errs   tailBuffer
	exited chan struct{} // closed once the command has ended
	eof    chan struct{} // closed once its standard error is read to the end
	once   sync.Once
}

// proxyExitWait is how long a proxy command has to end on its own once
// its pipes are closed, and proxyKillWait after SIGHUP, before it is
// killed.
const (
	proxyExitWait = 100 * time.Millisecond
	proxyKillWait = 2 * time.Second
)

// startProxy starts the shell command line (see
// sshconfig.ProxyCommandLine); at is where it was set, for errors.
func startProxy(line, at string) (*proxyConn, error) {
	shell := cmp.Or(os.Getenv("SHELL"), "/bin/sh")
	var files []*os.File // the pipes' ends, all closed on failure
	pipe := func() (r, w *os.File, err error) {
		if r, w, err = os.Pipe(); err == nil {
			files = append(files, r, w)
		}
		return r, w, err
	}
	closeAll := func() {
		for _, f := range files {
			f.Close()
		}
	}
	inR, inW, err1 := pipe()
	outR, outW, err2 := pipe()
	errR, errW, err3 := pipe()
	if err := errors.Join(err1, err2, err3); err != nil {
		closeAll()
		return nil, fmt.Errorf("ProxyCommand (%s): %w", at, err)
	}
	cmd := exec.Command(shell, "-c", line)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, errW
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stop := syscall.SIGHUP
	if signal.Ignored(syscall.SIGHUP) {
		stop = syscall.SIGTERM
	}
	if err := cmd.Start(); err != nil {
		closeAll()
		return nil, fmt.Errorf("ProxyCommand (%s): shell %s: %w", at, shell, err)
	}
	inR.Close()
	outW.Close()
	errW.Close()
	p := &proxyConn{cmd: cmd, stop: stop, r: outR, w: inW, at: at, exited: make(chan struct{}), eof: make(chan struct{}),
		errs: tailBuffer{keep: tailMax}}
	go func() {
		p.errs.readFrom(errR)
		errR.Close()
		close(p.eof)
	}()
	go func() {
		cmd.Wait() // its state is in cmd.ProcessState
		close(p.exited)
	}()
	return p, nil
}

func (p *proxyConn) Read(b []byte) (int, error)  { return p.r.Read(b) }
func (p *proxyConn) Write(b []byte) (int, error) { return p.w.Write(b) }

// Close closes the pipes and ends the command (and what it started in
// its process group): unless it ends on its own within proxyExitWait
// (a proxy that failed has, and most end when their input does), with
// SIGHUP (or SIGTERM, see proxyConn), then SIGKILL if it is still there
// proxyKillWait later. It returns once the command has ended.
func (p *proxyConn) Close() error {
	p.once.Do(func() {
		p.r.Close()
		p.w.Close()
		pgid := p.cmd.Process.Pid
		select {
		case <-p.exited: // on its own: its exit status tells why
		case <-time.After(proxyExitWait):
		}
		syscall.Kill(-pgid, p.stop) // it, or what it left behind
		select {
		case <-p.exited:
		case <-time.After(proxyKillWait):
			syscall.Kill(-pgid, syscall.SIGKILL)
			<-p.exited
		}
	})
	return nil
}

// explain adds the command's side to err when the connection through it
// ended (err is EOF or a broken pipe, or the command has ended): how it
// ended (waiting up to wait for that) and the end of what it wrote to
// its standard error. Other errors (a host key refused, say) are the
// server's, and are returned as they are.
func (p *proxyConn) explain(err error, wait time.Duration) error {
	select {
	case <-p.exited:
	default:
		if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, syscall.EPIPE) &&
			!errors.Is(err, os.ErrDeadlineExceeded) && !errors.Is(err, context.DeadlineExceeded) {
			return err
		}
	}
	state := "still running"
	select {
	case <-p.exited:
		state = p.cmd.ProcessState.String()
		select { // the rest of its message (unless what it started still holds the pipe)
		case <-p.eof:
		case <-time.After(100 * time.Millisecond):
		}
	case <-time.After(wait):
	}
	msg := fmt.Sprintf("ProxyCommand (%s): %s", p.at, state)
	if said := p.errs.String(); said != "" {
		msg += ", said: " + said
	}
	return fmt.Errorf("%w (%s)", err, msg)
}

func (p *proxyConn) LocalAddr() net.Addr  { return proxyAddr{} }
func (p *proxyConn) RemoteAddr() net.Addr { return proxyAddr{} }

func (p *proxyConn) SetDeadline(t time.Time) error {
	return errors.Join(p.r.SetReadDeadline(t), p.w.SetWriteDeadline(t))
}
func (p *proxyConn) SetReadDeadline(t time.Time) error  { return p.r.SetReadDeadline(t) }
func (p *proxyConn) SetWriteDeadline(t time.Time) error { return p.w.SetWriteDeadline(t) }

// proxyAddr stands for both ends of a proxyConn.
type proxyAddr struct{}

func (proxyAddr) Network() string { return "proxycommand" }
func (proxyAddr) String() string  { return "proxycommand" }

// tailMax is how much of a proxy command's stderr is kept to explain a
// failure.
const tailMax = 2 << 10

func (t *tailBuffer) readFrom(f *os.File) {
	b := make([]byte, 4<<10)
	for {
		n, err := f.Read(b)
		t.Write(b[:n])
		if err != nil {
			return
		}
	}
}

// String is what was kept, on one line.
func (t *tailBuffer) String() string {
	b, cut := t.bytes()
	s := strings.Join(strings.Fields(strings.ToValidUTF8(string(b), "?")), " ")
	if cut > 0 && s != "" {
		s = "..." + s
	}
	return s
}

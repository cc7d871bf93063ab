package sshtest

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

type inProcess struct {
	srv *Server
	ln  net.Listener
	cfg *ssh.ServerConfig

	quota atomic.Int64 // <0: unlimited; else bytes that may still be written
	// corrupt: base names whose first written byte is flipped (as a bad
	// disk or a broken server would), each once.
	corrupt sync.Map
	execs   atomic.Int64
	tunnels atomic.Int64
	offers  atomic.Int64
	// keepalives counts the clients' keepalive@openssh.com requests.
	keepalives atomic.Int64
	silentSFTP atomic.Bool
	sftpGreet  atomic.Pointer[string]
	noSFTP     atomic.Bool
	// more: further authorized public keys (marshalled), for User.
	more sync.Map

	envMu   sync.Mutex
	execEnv []string
	shell   string // the user's login shell ("" for /bin/sh)

	fmu      sync.Mutex
	dropLeft int64 // >0: cut the connection once this many more bytes arrive
	sendLeft int64 // >0: cut the connection once this many more bytes are sent
	drops    int64

	mu    sync.Mutex
	conns map[net.Conn]bool
	wg    sync.WaitGroup
}

// StartInProcess starts an SSH server with SFTP (pkg/sftp request server
// over the real file system) and exec (/bin/sh -c) on 127.0.0.1, stopped
// when the test ends.
func StartInProcess(t testing.TB) *Server {
	t.Helper()
	base := t.TempDir()
	s := newServer(t, base)
	ip := &inProcess{srv: s, conns: map[net.Conn]bool{}}
	ip.quota.Store(-1)
	s.inproc = ip
	authorized := s.UserKey.Public().Marshal()
	certs := &ssh.CertChecker{IsUserAuthority: func(auth ssh.PublicKey) bool {
		return bytes.Equal(auth.Marshal(), s.UserCA.Public().Marshal())
	}}
	ip.cfg = &ssh.ServerConfig{
		PublicKeyCallback: func(meta ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			ip.offers.Add(1)
			if _, ok := key.(*ssh.Certificate); ok {
				return certs.Authenticate(meta, key)
			}
			if _, ok := ip.more.Load(string(key.Marshal())); meta.User() == s.User && (ok || bytes.Equal(key.Marshal(), authorized)) {
				return nil, nil
			}
			return nil, errors.New("unknown public key")
		},
	}
	for _, k := range s.hostSigners(t) {
		ip.cfg.AddHostKey(k)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ip.ln = ln
	s.Addr = ln.Addr().String()
	s.KnownHosts = filepath.Join(base, "known_hosts")
	WriteKnownHosts(t, s.KnownHosts, s.Addr, s.HostKey.Public())
	ip.wg.Add(1)
	go ip.serve()
	t.Cleanup(ip.close)
	return s
}

// Authorize makes the server accept key for User too.
func (s *Server) Authorize(key ssh.PublicKey) { s.mustInProc().more.Store(string(key.Marshal()), true) }

// DropAfter makes the server cut the connection that receives the next n
// bytes (counted across connections) — once; then it serves normally.
func (s *Server) DropAfter(n int64) {
	ip := s.mustInProc()
	ip.fmu.Lock()
	ip.dropLeft = n
	ip.fmu.Unlock()
}

// DropAfterSent makes the server cut the connection that sends the next
// n bytes (counted across connections) — once; then it serves normally.
func (s *Server) DropAfterSent(n int64) {
	ip := s.mustInProc()
	ip.fmu.Lock()
	ip.sendLeft = n
	ip.fmu.Unlock()
}

// Drops reports how many connections DropAfter and DropAfterSent have cut.
func (s *Server) Drops() int64 {
	ip := s.mustInProc()
	ip.fmu.Lock()
	defer ip.fmu.Unlock()
	return ip.drops
}

// received counts n incoming bytes and reports whether to cut now.
func (ip *inProcess) received(n int) bool { return ip.countdown(&ip.dropLeft, n) }

// sent counts n outgoing bytes and reports whether to cut now.
func (ip *inProcess) sent(n int) bool { return ip.countdown(&ip.sendLeft, n) }

// countdown takes n bytes off *left (dropLeft or sendLeft) and reports
// whether that reached the cut, which it counts (once: *left is then 0).
func (ip *inProcess) countdown(left *int64, n int) bool {
	ip.fmu.Lock()
	defer ip.fmu.Unlock()
	if *left <= 0 || n <= 0 {
		return false
	}
	*left -= int64(n)
	if *left > 0 {
		return false
	}
	*left = 0
	ip.drops++
	return true
}

// SetQuota lets SFTP writes store n more bytes in all, after which they
// fail with ENOSPC ("no space left on device"), like a full disk; n < 0
// lifts the limit.
func (s *Server) SetQuota(n int64) { s.mustInProc().quota.Store(n) }

// CorruptWrite makes the server store a wrong first byte the next time a
// file whose base name is name is written at offset 0, while reporting
// the write as done: only a check of what was stored can notice.
func (s *Server) CorruptWrite(name string) { s.mustInProc().corrupt.Store(name, true) }

// SetExecEnv adds K=V settings to the environment of later exec requests
// (e.g. "PATH=/nowhere" to make programs missing).
func (s *Server) SetExecEnv(kv ...string) {
	ip := s.mustInProc()
	ip.envMu.Lock()
	ip.execEnv = append(ip.execEnv, kv...)
	ip.envMu.Unlock()
}

// SetShell sets the user's login shell, which runs each exec request's
// command line with -c, as sshd runs it (default /bin/sh).
func (s *Server) SetShell(path string) {
	ip := s.mustInProc()
	ip.envMu.Lock()
	ip.shell = path
	ip.envMu.Unlock()
}

// Execs reports how many exec requests the server has run.
func (s *Server) Execs() int64 { return s.mustInProc().execs.Load() }

// Tunnels reports how many connections the server has forwarded as a
// jump host.
func (s *Server) Tunnels() int64 { return s.mustInProc().tunnels.Load() }

// Offers reports how many public keys clients have offered the server
// (each once per connection).
func (s *Server) Offers() int64 { return s.mustInProc().offers.Load() }

// SilentSFTP makes the server leave requests for the SFTP subsystem
// unanswered (a server that stops answering right after the handshake).
func (s *Server) SilentSFTP(on bool) { s.mustInProc().silentSFTP.Store(on) }

// RefuseSFTP makes the server refuse the SFTP subsystem (an sshd_config
// without a Subsystem sftp line).
func (s *Server) RefuseSFTP() { s.mustInProc().noSFTP.Store(true) }

// GreetSFTP makes the SFTP subsystem write text before it answers, as
// sftp-server does when sshd starts it through a login shell whose
// ~/.bashrc prints something (which breaks SFTP for every client).
func (s *Server) GreetSFTP(text string) { s.mustInProc().sftpGreet.Store(&text) }

// Keepalives reports how many keepalive requests clients have sent.
func (s *Server) Keepalives() int64 { return s.mustInProc().keepalives.Load() }

// ChangeHostKey makes the server present a new host key (known_hosts is
// left as it is, so clients must refuse it).
func (s *Server) ChangeHostKey(t testing.TB) {
	ip := s.mustInProc()
	s.HostKey = NewKey(t)
	cfg := *ip.cfg
	for _, k := range s.hostSigners(t) {
		cfg.AddHostKey(k)
	}
	ip.mu.Lock()
	ip.cfg = &cfg
	ip.mu.Unlock()
}

// CloseConnections cuts every open client connection.
func (s *Server) CloseConnections() {
	ip := s.mustInProc()
	ip.mu.Lock()
	defer ip.mu.Unlock()
	for c := range ip.conns {
		c.Close()
	}
}

// Freeze makes the server stop answering on its open connections (as a
// peer behind a dead network path): what clients send there is never read.
// New connections are served normally.
func (s *Server) Freeze() {
	ip := s.mustInProc()
	ip.mu.Lock()
	defer ip.mu.Unlock()
	for c := range ip.conns {
		c.(*faultConn).frozen.Store(true)
	}
}

func (s *Server) mustInProc() *inProcess {
	if s.inproc == nil {
		panic("sshtest: fault injection needs the in-process server")
	}
	return s.inproc
}

func (ip *inProcess) close() {
	ip.ln.Close()
	ip.mu.Lock()
	for c := range ip.conns {
		c.Close()
	}
	ip.mu.Unlock()
	ip.wg.Wait()
}

func (ip *inProcess) serve() {
	defer ip.wg.Done()
	for {
		nc, err := ip.ln.Accept()
		if err != nil {
			return
		}
		c := &faultConn{Conn: nc, ip: ip, done: make(chan struct{})}
		ip.mu.Lock()
		ip.conns[c] = true
		cfg := ip.cfg
		ip.mu.Unlock()
		ip.wg.Add(1)
		go func() {
			defer ip.wg.Done()
			defer func() { ip.mu.Lock(); delete(ip.conns, c); ip.mu.Unlock(); c.Close() }()
			ip.handleConn(c, cfg)
		}()
	}
}

// faultConn counts incoming bytes for DropAfter, and goes silent after
// Freeze.
type faultConn struct {
	net.Conn
	ip     *inProcess
	frozen atomic.Bool
	once   sync.Once
	done   chan struct{} // closed by Close
}

func (c *faultConn) Close() error {
	c.once.Do(func() { close(c.done) })
	return c.Conn.Close()
}

func (c *faultConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if c.frozen.Load() {
		// A peer that stopped answering: what it is sent is never read.
		<-c.done
		return 0, net.ErrClosed
	}
	if c.ip.received(n) {
		c.Conn.Close()
		return 0, net.ErrClosed
	}
	return n, err
}

func (c *faultConn) Write(b []byte) (int, error) {
	if c.ip.sent(len(b)) {
		c.Conn.Close()
		return 0, net.ErrClosed
	}
	return c.Conn.Write(b)
}

func (ip *inProcess) handleConn(nc net.Conn, cfg *ssh.ServerConfig) {
	sc, chans, reqs, err := ssh.NewServerConn(nc, cfg)
	if err != nil {
		return
	}
	defer sc.Close()
	go func() {
		for r := range reqs {
			if r.Type == "keepalive@openssh.com" {
				ip.keepalives.Add(1)
			}
			if r.WantReply {
				r.Reply(false, nil) // as sshd answers a keepalive
			}
		}
	}()
	var wg sync.WaitGroup
	defer wg.Wait()
	for nch := range chans {
		if nch.ChannelType() == "direct-tcpip" {
			ip.tunnels.Add(1)
			wg.Add(1)
			go func() {
				defer wg.Done()
				forward(nch)
			}()
			continue
		}
		if nch.ChannelType() != "session" {
			nch.Reject(ssh.UnknownChannelType, "only sessions")
			continue
		}
		ch, creqs, err := nch.Accept()
		if err != nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ip.session(ch, creqs)
		}()
	}
}

// session serves one session channel: an exec or the sftp subsystem.
func (ip *inProcess) session(ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer ch.Close()
	var proc *os.Process
	var procMu sync.Mutex
	done := make(chan struct{})
	started := false
	for req := range reqs {
		switch req.Type {
		case "exec":
			var p struct{ Cmd string }
			if started || ssh.Unmarshal(req.Payload, &p) != nil {
				req.Reply(false, nil)
				continue
			}
			started = true
			ip.execs.Add(1)
			ip.envMu.Lock()
			cmd := exec.Command(cmp.Or(ip.shell, "/bin/sh"), "-c", p.Cmd) // as sshd runs it
			cmd.Env = append(os.Environ(), ip.execEnv...)
			ip.envMu.Unlock()
			cmd.Dir = ip.srv.Dir
			cmd.Stdin, cmd.Stdout, cmd.Stderr = ch, ch, ch.Stderr()
			cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} // as sshd does
			if err := cmd.Start(); err != nil {
				req.Reply(false, nil)
				return
			}
			procMu.Lock()
			proc = cmd.Process
			procMu.Unlock()
			req.Reply(true, nil)
			go func() {
				defer close(done)
				err := cmd.Wait()
				var ee *exec.ExitError
				status := 0
				if errors.As(err, &ee) {
					ws := ee.Sys().(syscall.WaitStatus)
					if ws.Signaled() {
						sendExitSignal(ch, ws.Signal())
						ch.Close()
						return
					}
					status = ws.ExitStatus()
				}
				ch.SendRequest("exit-status", false, binary.BigEndian.AppendUint32(nil, uint32(status)))
				ch.Close()
			}()
		case "subsystem":
			var p struct{ Name string }
			if started || ssh.Unmarshal(req.Payload, &p) != nil || p.Name != "sftp" {
				req.Reply(false, nil)
				continue
			}
			if ip.silentSFTP.Load() {
				continue // never answers: see SilentSFTP
			}
			if ip.noSFTP.Load() {
				req.Reply(false, nil) // see RefuseSFTP
				continue
			}
			started = true
			req.Reply(true, nil)
			go func() {
				defer close(done)
				if g := ip.sftpGreet.Load(); g != nil {
					io.WriteString(ch, *g)
				}
				rs := sftp.NewRequestServer(ch, osHandlers(ip), sftp.WithStartDirectory(ip.srv.Dir))
				rs.Serve()
				rs.Close()
				ch.Close()
			}()
		case "signal":
			var p struct{ Name string }
			ssh.Unmarshal(req.Payload, &p)
			procMu.Lock()
			if proc != nil {
				if sig, ok := signals[p.Name]; ok {
					proc.Signal(sig)
				}
			}
			procMu.Unlock()
			if req.WantReply {
				req.Reply(true, nil)
			}
		default: // env, pty-req, shell: refused, like a locked-down server
			if req.WantReply {
				req.Reply(false, nil)
			}
		}
	}
	if started {
		<-done
	}
}

// forward serves a direct-tcpip channel (the client uses this server as
// a jump host).
func forward(nch ssh.NewChannel) {
	var p struct {
		Host       string
		Port       uint32
		OriginHost string
		OriginPort uint32
	}
	if err := ssh.Unmarshal(nch.ExtraData(), &p); err != nil {
		nch.Reject(ssh.ConnectionFailed, "bad payload")
		return
	}
	nc, err := net.Dial("tcp", net.JoinHostPort(p.Host, strconv.Itoa(int(p.Port))))
	if err != nil {
		nch.Reject(ssh.ConnectionFailed, err.Error())
		return
	}
	ch, reqs, err := nch.Accept()
	if err != nil {
		nc.Close()
		return
	}
	go ssh.DiscardRequests(reqs)
	done := make(chan struct{}, 2)
	go func() { io.Copy(nc, ch); nc.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
	go func() { io.Copy(ch, nc); ch.CloseWrite(); done <- struct{}{} }()
	<-done
	<-done
	ch.Close()
	nc.Close()
}

var signals = map[string]syscall.Signal{"KILL": syscall.SIGKILL, "TERM": syscall.SIGTERM,
	"INT": syscall.SIGINT, "HUP": syscall.SIGHUP, "QUIT": syscall.SIGQUIT}

func sendExitSignal(ch ssh.Channel, sig syscall.Signal) {
	name := "KILL"
	for n, s := range signals {
		if s == sig {
			name = n
		}
	}
	msg := struct {
		Signal     string
		CoreDumped bool
		Error      string
		Lang       string
	}{Signal: name}
	ch.SendRequest("exit-signal", false, ssh.Marshal(&msg))
}

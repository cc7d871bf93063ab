package hosts_test

import (
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/planrun/planrun/hosts"
	"github.com/planrun/planrun/hosts/sshtest"
)

// startAgent starts OpenSSH's ssh-agent on a socket in a temp dir and
// loads keys into it, in order, with ssh-add.
func startAgent(t *testing.T, keys ...*sshtest.Key) string {
	t.Helper()
	for _, bin := range []string{"ssh-agent", "ssh-add"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("SKIP: no %s (apt-get install openssh-client)", bin)
		}
	}
	dir := t.TempDir()
	sock := filepath.Join(dir, "agent.sock")
	cmd := exec.Command("ssh-agent", "-D", "-a", sock)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("ssh-agent did not create its socket")
		}
	}
	for i, k := range keys {
		f := filepath.Join(dir, "key"+string(rune('a'+i)))
		k.WriteFile(t, f)
		sshAdd(t, sock, f)
	}
	return sock
}

// sshAdd loads the key file into the agent at sock.
func sshAdd(t *testing.T, sock, file string) {
	t.Helper()
	add := exec.Command("ssh-add", file)
	add.Env = append(os.Environ(), "SSH_AUTH_SOCK="+sock)
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("ssh-add: %v\n%s", err, out)
	}
}

// sshKeygen runs ssh-keygen with args.
func sshKeygen(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("ssh-keygen", args...).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen %v: %v\n%s", args, err, out)
	}
}

// A passphrase-protected key in the legacy PEM format keeps no public key
// in the clear: under IdentitiesOnly its agent copy is matched through the
// KEY.pub beside it, as ssh does.
func TestSSHAgentLegacyPEM(t *testing.T) {
	srv := sshtest.StartInProcess(t)
	sock := startAgent(t, sshtest.NewKey(t))
	dir := t.TempDir()
	plain, protected := filepath.Join(dir, "plain"), filepath.Join(dir, "protected")
	sshKeygen(t, "-q", "-t", "rsa", "-b", "2048", "-m", "PEM", "-N", "", "-f", plain)
	b, _ := os.ReadFile(plain)
	os.WriteFile(protected, b, 0o600)
	sshKeygen(t, "-q", "-p", "-m", "PEM", "-P", "", "-N", "not typed here", "-f", protected)
	if b, _ := os.ReadFile(protected); !strings.Contains(string(b), "Proc-Type: 4,ENCRYPTED") {
		t.Fatalf("not a legacy PEM protected key:\n%s", b)
	}
	pubText, _ := os.ReadFile(plain + ".pub")
	pub, _, _, _, err := ssh.ParseAuthorizedKey(pubText)
	if err != nil {
		t.Fatal(err)
	}
	srv.Authorize(pub)
	sshAdd(t, sock, plain) // the agent now holds a key the server refuses, then this one
	t.Setenv("SSH_AUTH_SOCK", sock)
	t.Setenv("HOME", t.TempDir())
	login := func(t *testing.T, wantErr string) {
		spec := hosts.Spec{SSH: srv.User + "@" + srv.Addr, KnownHosts: srv.KnownHosts,
			IdentityFiles: []string{protected}, SSHConfig: writeConfig(t, "Host *\n  IdentitiesOnly yes\n")}
		h, err := hosts.NewSSH("a", spec, hosts.SSHOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close()
		before := srv.Offers()
		if loginRuns(t, h, wantErr) && srv.Offers()-before != 1 {
			t.Errorf("%d keys offered, want 1 (the file's, from the agent)", srv.Offers()-before)
		}
	}
	t.Run("with KEY.pub", func(t *testing.T) {
		os.WriteFile(protected+".pub", pubText, 0o644)
		login(t, "")
	})
	t.Run("without KEY.pub no agent key is the file's", func(t *testing.T) {
		os.Remove(protected + ".pub")
		login(t, "unable to authenticate")
	})
}

func TestSSHAgent(t *testing.T) {
	srv := sshtest.StartInProcess(t)
	// The agent holds three keys the server does not know, then the one it
	// does; on disk that key is passphrase-protected.
	sock := startAgent(t, sshtest.NewKey(t), sshtest.NewKey(t), sshtest.NewKey(t), srv.UserKey)
	// An agent with more keys ahead of the server's than the server lets
	// a client try (MaxAuthTries, 6).
	crowd := []*sshtest.Key{}
	for range 7 {
		crowd = append(crowd, sshtest.NewKey(t))
	}
	crowded := startAgent(t, append(crowd, srv.UserKey)...)
	dir := t.TempDir()
	protected := filepath.Join(dir, "protected")
	blk, err := ssh.MarshalPrivateKeyWithPassphrase(srv.UserKey.Private, "", []byte("not typed here"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(protected, pem.EncodeToMemory(blk), 0o600)
	loose := filepath.Join(dir, "loose")
	srv.UserKey.WriteFile(t, loose)
	os.Chmod(loose, 0o644)
	t.Setenv("HOME", t.TempDir()) // no ~/.ssh/id_* keys

	tests := map[string]struct {
		env     string // SSH_AUTH_SOCK
		config  string // ssh_config ("" = none)
		keys    []string
		offers  int64 // keys offered to the server
		wantErr string
	}{
		"the agent's keys, in order": {env: sock, offers: 4},
		// The agent's copy of an identity file's key goes first, as in ssh.
		"a protected file, its key in the agent": {env: sock, keys: []string{protected}, offers: 1},
		"a crowded agent: the file's key first":  {env: crowded, keys: []string{protected}, offers: 1},

		"IdentitiesOnly offers only the file's key": {
			env: sock, keys: []string{protected}, config: "Host *\n  IdentitiesOnly yes\n", offers: 1,
		},
		"IdentityAgent names the socket": {config: "Host *\n  IdentityAgent " + sock + "\n", offers: 4},
		"IdentityAgent none": {
			env: sock, config: "Host *\n  IdentityAgent none\n",
			wantErr: "no identity file and no ssh-agent",
		},
		"a key file others can read": {
			env: sock, keys: []string{loose},
			wantErr: "read identity file: permissions 0644 for " + loose + " are too open",
		},
		"a protected file and no agent": {
			keys:    []string{protected},
			wantErr: "identity file " + protected + " is passphrase-protected: load it into ssh-agent",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Setenv("SSH_AUTH_SOCK", tc.env)
			spec := hosts.Spec{SSH: srv.User + "@" + srv.Addr, KnownHosts: srv.KnownHosts,
				IdentityFiles: tc.keys, SSHConfig: "none"}
			if tc.config != "" {
				spec.SSHConfig = writeConfig(t, tc.config)
			}
			h, err := hosts.NewSSH("a", spec, hosts.SSHOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close()
			before := srv.Offers()
			if !loginRuns(t, h, tc.wantErr) {
				return
			}
			if got := srv.Offers() - before; got != tc.offers {
				t.Errorf("%d keys offered, want %d", got, tc.offers)
			}
		})
	}
}

// TestSSHAgentCrowded: OpenSSH's sshd ends a login after MaxAuthTries (6)
// refused keys. An agent holding 7 other keys ahead of the right one
// still logs in when an identity file names the right key (passphrase-
// protected, so only the agent can sign with it): that key is offered
// first, as ssh offers it.
func TestSSHAgentCrowded(t *testing.T) {
	srv := sshtest.StartSSHD(t)
	var keys []*sshtest.Key
	for range 7 {
		keys = append(keys, sshtest.NewKey(t))
	}
	t.Setenv("SSH_AUTH_SOCK", startAgent(t, append(keys, srv.UserKey)...))
	t.Setenv("HOME", t.TempDir())
	protected := filepath.Join(t.TempDir(), "protected")
	blk, err := ssh.MarshalPrivateKeyWithPassphrase(srv.UserKey.Private, "", []byte("not typed here"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(protected, pem.EncodeToMemory(blk), 0o600)
	for name, files := range map[string][]string{"named by a file": {protected}, "not named": nil} {
		t.Run(name, func(t *testing.T) {
			h, err := hosts.NewSSH("a", hosts.Spec{SSH: srv.User + "@" + srv.Addr, KnownHosts: srv.KnownHosts,
				IdentityFiles: files, SSHConfig: "none"}, hosts.SSHOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close()
			if files == nil {
				// As with ssh: the server gives up before the right key.
				loginRuns(t, h, "Too many authentication failures")
				return
			}
			loginRuns(t, h, "")
		})
	}
}

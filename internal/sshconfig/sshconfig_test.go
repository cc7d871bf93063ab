package sshconfig_test

import (
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/planrun/planrun/internal/sshconfig"
)

func TestLookup(t *testing.T) {
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("PLANRUN_TEST_KEYS", "/keys")
	ssh := filepath.Join(home, ".ssh")

	tests := map[string]struct {
		files   map[string]string // under ~/.ssh; "config" is the one read
		q       sshconfig.Query
		want    sshconfig.Settings
		wantErr string
	}{
		"alias": {
			files: map[string]string{"config": `
# a comment
Host fate-a
    HostName 10.1.0.5
    User app
    Port 2222
    IdentityFile ~/.ssh/fate_key
    CertificateFile ~/.ssh/fate_key-%r.pub
    UserKnownHostsFile ~/.ssh/fate_known
    ConnectTimeout 7
Host fate-b
    HostName 10.2.0.5
`},
			q: sshconfig.Query{Host: "fate-a"},
			want: sshconfig.Settings{HostName: "10.1.0.5", User: "app", Port: "2222",
				IdentityFiles: []string{ssh + "/fate_key"}, CertificateFiles: []string{ssh + "/fate_key-app.pub"},
				KnownHosts:     []string{ssh + "/fate_known"},
				ConnectTimeout: 7 * time.Second},
		},
		"known_hosts files, none": {
			files: map[string]string{"config": "Host *\n UserKnownHostsFile none\n GlobalKnownHostsFile /etc/kh ~/kh\n UserKnownHostsFile /ignored\n"},
			q:     sshconfig.Query{Host: "a"},
			want:  sshconfig.Settings{KnownHosts: []string{}, GlobalKnownHosts: []string{"/etc/kh", home + "/kh"}},
		},
		"agent": {
			files: map[string]string{"config": "Host a\n IdentityAgent ${PLANRUN_TEST_KEYS}/agent.sock\n IdentitiesOnly yes\n"},
			q:     sshconfig.Query{Host: "a"},
			want:  sshconfig.Settings{IdentityAgent: "/keys/agent.sock", IdentitiesOnly: true},
		},
		"agent from SSH_AUTH_SOCK": {
			files: map[string]string{"config": "Host b\n IdentityAgent SSH_AUTH_SOCK\n"},
			q:     sshconfig.Query{Host: "b"},
		},
		"agent from a variable": {
			files: map[string]string{"config": "Host c\n IdentityAgent $PLANRUN_TEST_KEYS\n"},
			q:     sshconfig.Query{Host: "c"},
			want:  sshconfig.Settings{IdentityAgent: "/keys"},
		},
		"agent from an unset variable": {
			files: map[string]string{"config": "Host d\n IdentityAgent $PLANRUN_TEST_UNSET\n"},
			q:     sshconfig.Query{Host: "d"},
			want:  sshconfig.Settings{IdentityAgent: "none"},
		},
		"no match": {
			files: map[string]string{"config": "Host other\n  User x\n"},
			q:     sshconfig.Query{Host: "fate-a"},
		},
		"first value wins, identity files add up": {
			files: map[string]string{"config": `
Host fate-*
  User first
  IdentityFile /k1
Host *
  User second
  Port 22
  IdentityFile /k2
`},
			q:    sshconfig.Query{Host: "fate-a"},
			want: sshconfig.Settings{User: "first", Port: "22", IdentityFiles: []string{"/k1", "/k2"}},
		},
		"given user and port win": {
			files: map[string]string{"config": "Host *\n User x\n Port 2\n"},
			q:     sshconfig.Query{Host: "h", User: "u", Port: "2200"},
			want:  sshconfig.Settings{User: "u", Port: "2200"},
		},
		"negated pattern": {
			files: map[string]string{"config": "Host * !bastion\n ProxyJump bastion\nHost bastion\n HostName 10.0.0.1\n"},
			q:     sshconfig.Query{Host: "bastion"},
			want:  sshconfig.Settings{HostName: "10.0.0.1"},
		},
		"patterns: question mark, several": {
			files: map[string]string{"config": "Host web db-? \n User a\n"},
			q:     sshconfig.Query{Host: "db-1"},
			want:  sshconfig.Settings{User: "a"},
		},
		"host patterns heed case, match host does not": {
			files: map[string]string{"config": "Host db-?\n User a\nMatch host db-?\n Port 2\nHost *\n HostName Upper.Example\n"},
			q:     sshconfig.Query{Host: "DB-1"},
			want:  sshconfig.Settings{Port: "2", HostName: "upper.example"},
		},
		"equals sign and quotes": {
			files: map[string]string{"config": "Host=h\nIdentityFile = \"/my keys/id\"\nUser=\"bob\" # trailing comment\n"},
			q:     sshconfig.Query{Host: "h"},
			want:  sshconfig.Settings{User: "bob", IdentityFiles: []string{"/my keys/id"}},
		},
		"hostname token": {
			files: map[string]string{"config": "Host *.fate\n HostName %h.example.com\n"},
			q:     sshconfig.Query{Host: "a.fate"},
			want:  sshconfig.Settings{HostName: "a.fate.example.com"},
		},
		"path tokens and env": {
			files: map[string]string{"config": "Host h\n HostName real\n User ru\n Port 2022\n" +
				"IdentityFile ${PLANRUN_TEST_KEYS}/%r@%h:%p-%n-%u-%%\n UserKnownHostsFile %d/kh1 /kh2\n"},
			q: sshconfig.Query{Host: "h"},
			want: sshconfig.Settings{HostName: "real", User: "ru", Port: "2022",
				IdentityFiles: []string{"/keys/ru@real:2022-h-" + me.Username + "-%"},
				KnownHosts:    []string{home + "/kh1", "/kh2"}},
		},
		"include, relative and glob, conditional": {
			files: map[string]string{
				"config":        "Include conf.d/*.conf\nHost other\n Include never.conf\n",
				"conf.d/a.conf": "Host h\n User from-a\n",
				"conf.d/b.conf": "Host *\n User from-b\n Port 2\n",
				"never.conf":    "Host *\n Port 3\n",
			},
			q:    sshconfig.Query{Host: "h"},
			want: sshconfig.Settings{User: "from-a", Port: "2"},
		},
		"a file included where it does not apply is still checked": {
			// As ssh does (it reads such a file "parse only").
			files:   map[string]string{"config": "Host other\n Include never.conf\n", "never.conf": "Host *\n Port 3\n ConnectTimeout x\n"},
			q:       sshconfig.Query{Host: "h"},
			wantErr: ssh + `/never.conf:3: bad ConnectTimeout "x"`,
		},
		"include ends where the file ends": {
			// The included file's Host line does not carry over into the
			// including file's block.
			files: map[string]string{
				"config": "Host h\n Include x.conf\n User after\n",
				"x.conf": "Host nothing\n",
			},
			q:    sshconfig.Query{Host: "h"},
			want: sshconfig.Settings{User: "after"},
		},
		"match host sees hostname": {
			files: map[string]string{"config": "Host a\n HostName 10.0.0.9\nMatch host 10.0.0.* !user root\n Port 2201\nMatch originalhost a\n User app\n"},
			q:     sshconfig.Query{Host: "a", User: "ops"},
			want:  sshconfig.Settings{HostName: "10.0.0.9", User: "ops", Port: "2201"},
		},
		"match negated and all": {
			files: map[string]string{"config": "Match !host a\n Port 1\nMatch all\n Port 2\n"},
			q:     sshconfig.Query{Host: "a"},
			want:  sshconfig.Settings{Port: "2"},
		},
		"match exec not reached": {
			files: map[string]string{"config": "Match host other exec \"test -f /x\"\n Port 1\n"},
			q:     sshconfig.Query{Host: "a"},
		},
		"proxyjump none then later": {
			files: map[string]string{"config": "Host a\n ProxyJump none\nHost *\n ProxyJump bastion\n"},
			q:     sshconfig.Query{Host: "a"},
		},
		"proxyjump chain": {
			files: map[string]string{"config": "Host a\n ProxyJump u@j1:2022,j2\n"},
			q:     sshconfig.Query{Host: "a"},
			want:  sshconfig.Settings{ProxyJump: "u@j1:2022,j2"},
		},
		"proxycommand": {
			files: map[string]string{"config": "\nHost a\n ProxyCommand nc %h %p\n ProxyJump j\n"},
			q:     sshconfig.Query{Host: "a"},
			want:  sshconfig.Settings{ProxyCommand: "nc %h %p", ProxyCommandAt: ssh + "/config:3"},
		},
		"proxycommand as written": {
			files: map[string]string{"config": "Host a\n ProxyCommand = sh -c 'nc \"$0\" %p' %h  # via nc \t\n ProxyUseFdpass yes\n"},
			q:     sshconfig.Query{Host: "a"},
			want: sshconfig.Settings{ProxyCommand: `sh -c 'nc "$0" %p' %h  # via nc`, ProxyCommandAt: ssh + "/config:2",
				ProxyUseFdpass: true},
		},
		"proxycommand none": {
			files: map[string]string{"config": "Host a\n ProxyCommand none\nHost *\n ProxyCommand nc %h %p\n"},
			q:     sshconfig.Query{Host: "a"},
		},
		"proxycommand bad quotes": {
			files:   map[string]string{"config": "Host a\n ProxyCommand sh -c 'nc\n"},
			q:       sshconfig.Query{Host: "a"},
			wantErr: ssh + "/config:2: unterminated quote",
		},
		"ignored keywords": {
			files: map[string]string{"config": "Host *\n StrictHostKeyChecking no\n ForwardAgent yes\n Compression yes\n"},
			q:     sshconfig.Query{Host: "a"},
		},
		"match exec true": {
			files: map[string]string{"config": "Host *\n User x\nMatch host a exec \"test %h:%p:%r:%n = a:22:x:a\"\n Port 1\n"},
			q:     sshconfig.Query{Host: "a"},
			want:  sshconfig.Settings{User: "x", Port: "1"},
		},
		"match exec false": {
			files: map[string]string{"config": "Match exec \"exit 3\"\n Port 1\nMatch !exec false\n User y\n"},
			q:     sshconfig.Query{Host: "a"},
			want:  sshconfig.Settings{User: "y"},
		},
		"match exec sees the hostname so far": {
			files: map[string]string{"config": "Host a\n HostName %h.example\nMatch exec \"test %h/%n/%k = a.example/a/a.example\"\n Port 1\n"},
			q:     sshconfig.Query{Host: "a"},
			want:  sshconfig.Settings{HostName: "a.example", Port: "1"},
		},
		"match exec killed": {
			files:   map[string]string{"config": "Match exec \"kill -9 $$\"\n Port 1\n"},
			q:       sshconfig.Query{Host: "a"},
			wantErr: ssh + "/config:1: Match exec kill -9 $$: signal: killed",
		},
		"match exec bad token, not reached": {
			files:   map[string]string{"config": "Match host b exec \"test %y\"\n Port 1\n"},
			q:       sshconfig.Query{Host: "a"},
			wantErr: ssh + "/config:1: Match exec test %y: token %y is not supported here",
		},
		"a newer criterion, not reached": {
			files: map[string]string{"config": "Match host other sessiontype subsystem\n Port 1\n"},
			q:     sshconfig.Query{Host: "a"},
		},
		"a newer criterion, reached": {
			files:   map[string]string{"config": "Match version OpenSSH_10.*\n Port 1\n"},
			q:       sshconfig.Query{Host: "a"},
			wantErr: ssh + "/config:1: Match version is not supported",
		},
		"bad port": {
			files:   map[string]string{"config": "Port 0x10\n"},
			q:       sshconfig.Query{Host: "a"},
			wantErr: ssh + `/config:1: bad Port "0x10"`,
		},
		"bad port in an included file": {
			files:   map[string]string{"config": "Include inc\n", "inc": "\n\nPort 99999\n"},
			q:       sshconfig.Query{Host: "a"},
			wantErr: ssh + `/inc:3: bad Port "99999"`,
		},
		"unterminated quote": {
			files:   map[string]string{"config": "User \"bob\n"},
			q:       sshconfig.Query{Host: "a"},
			wantErr: ssh + "/config:1: unterminated quote",
		},
		"unknown token": {
			files:   map[string]string{"config": "IdentityFile /k/%T\n"},
			q:       sshconfig.Query{Host: "a"},
			wantErr: ssh + "/config:1: /k/%T: token %T is not supported here",
		},
		"token j: ProxyJump's last hop": {
			files: map[string]string{"config": "Host a\n ProxyJump u@j1:2022,ssh://ops@J2.example:2200\n IdentityFile /k/%j\n"},
			q:     sshconfig.Query{Host: "a"},
			want:  sshconfig.Settings{ProxyJump: "u@j1:2022,ssh://ops@J2.example:2200", IdentityFiles: []string{"/k/J2.example"}},
		},
		"Match name=value (OpenSSH 10)": {
			files: map[string]string{"config": "Match host=A* !user=root\n Port 2\nMatch Host=b\n Port 3\n"},
			q:     sshconfig.Query{Host: "a1", User: "app"},
			want:  sshconfig.Settings{User: "app", Port: "2"},
		},
		"unset env": {
			files:   map[string]string{"config": "IdentityFile ${PLANRUN_TEST_UNSET}/k\n"},
			q:       sshconfig.Query{Host: "a"},
			wantErr: "environment variable PLANRUN_TEST_UNSET is not set",
		},
		"unknown match criterion": {
			files:   map[string]string{"config": "Match hostt a\n"},
			q:       sshconfig.Query{Host: "a"},
			wantErr: ssh + `/config:1: unknown Match criterion "hostt"`,
		},
		"host without pattern": {
			files:   map[string]string{"config": "Host\n"},
			q:       sshconfig.Query{Host: "a"},
			wantErr: ssh + "/config:1: Host needs at least one pattern",
		},
		"misspelt keyword": {
			files:   map[string]string{"config": "Host other\n HostName x\nHost a\n  IdentitesOnly yes\n"},
			q:       sshconfig.Query{Host: "a"},
			wantErr: ssh + `/config:4: unknown keyword "identitesonly", which ssh refuses too (IgnoreUnknown identitesonly before it would make both skip it)`,
		},
		"IgnoreUnknown, and the old names ssh still takes": {
			files: map[string]string{"config": "IgnoreUnknown UseFoo,bar*\nHost a\n UseFoo yes\n Bar_baz 1\n IdentityFile2 /k2\n UseKeychain yes\n Protocol 2\n"},
			q:     sshconfig.Query{Host: "a"},
			want:  sshconfig.Settings{IdentityFiles: []string{"/k2"}},
		},
		"RefuseConnection": {
			files: map[string]string{"config": "Host other\n RefuseConnection yes\nMatch host a\n RefuseConnection TRUE\n"},
			q:     sshconfig.Query{Host: "a"},
			want:  sshconfig.Settings{RefuseConnection: ssh + "/config:4"},
		},
		"RefuseConnection no": {
			files: map[string]string{"config": "Host a\n RefuseConnection no\nHost *\n RefuseConnection yes\n"},
			q:     sshconfig.Query{Host: "a"},
		},
		"bad RefuseConnection": {
			files:   map[string]string{"config": "RefuseConnection sometimes\n"},
			q:       sshconfig.Query{Host: "a"},
			wantErr: ssh + `/config:1: bad RefuseConnection "sometimes" (want yes or no)`,
		},
		"include loop": {
			files:   map[string]string{"config": "Include config\n"},
			q:       sshconfig.Query{Host: "a"},
			wantErr: "Include nests more than 16 deep",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			os.RemoveAll(ssh)
			for n, text := range tc.files {
				p := filepath.Join(ssh, n)
				if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			got, err := sshconfig.Lookup([]sshconfig.File{{Path: filepath.Join(ssh, "config")}}, tc.q)
			if !lookupOK(t, err, tc.wantErr) {
				return
			}
			if d := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); d != "" {
				t.Errorf("settings (-want +got):\n%s", d)
			}
		})
	}
}

func TestLookupFiles(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("HOME", dir)
	missing := filepath.Join(dir, "missing")
	if _, err := sshconfig.Lookup([]sshconfig.File{{Path: missing}}, sshconfig.Query{Host: "a"}); err != nil {
		t.Errorf("a missing optional file: %v", err)
	}
	_, err := sshconfig.Lookup([]sshconfig.File{{Path: missing, Required: true}}, sshconfig.Query{Host: "a"})
	if err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("a missing required file: err = %v", err)
	}
	// A file others may write is refused, as ssh refuses it; the
	// system's file is not checked.
	loose := filepath.Join(dir, "loose")
	os.WriteFile(loose, []byte("Host *\n User u\n"), 0o600)
	os.Chmod(loose, 0o664)
	_, err = sshconfig.Lookup([]sshconfig.File{{Path: loose}}, sshconfig.Query{Host: "a"})
	if want := loose + ": bad permissions -rw-rw-r--: writable by group or others"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("a group-writable file: err = %v, want %q", err, want)
	}
	if _, err := sshconfig.Lookup([]sshconfig.File{{Path: loose, System: true}}, sshconfig.Query{Host: "a"}); err != nil {
		t.Errorf("a group-writable system file: %v", err)
	}
	// The user's file comes first; the system's fills in what it left.
	user, system := filepath.Join(dir, "user"), filepath.Join(dir, "system")
	os.WriteFile(user, []byte("Host *\n User u\n"), 0o600)
	os.WriteFile(system, []byte("Host *\n User s\n Port 2\n"), 0o600)
	got, err := sshconfig.Lookup([]sshconfig.File{{Path: user}, {Path: system, System: true}}, sshconfig.Query{Host: "a"})
	if err != nil {
		t.Fatal(err)
	}
	if got.User != "u" || got.Port != "2" {
		t.Errorf("got user %q port %q, want u and 2", got.User, got.Port)
	}
}

// lookupText looks q up in a config file holding text. With wantErr, the
// lookup must fail with an error containing it, and ok is false.
func lookupText(t *testing.T, text string, q sshconfig.Query, wantErr string) (s sshconfig.Settings, ok bool) {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := sshconfig.Lookup([]sshconfig.File{{Path: cfg}}, q)
	return s, lookupOK(t, err, wantErr)
}

// lookupOK checks a lookup's error: with wantErr, it must contain it (ok
// is then false); without, there must be none.
func lookupOK(t *testing.T, err error, wantErr string) bool {
	t.Helper()
	if wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("err = %v, want it to contain %q", err, wantErr)
		}
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	return true
}

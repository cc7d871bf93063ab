package sshconfig_test

import (
	"fmt"
	"os"
	"os/exec"
	osuser "os/user"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/planrun/planrun/internal/sshconfig"
)

// TestAgainstOpenSSH looks each case up both here and with OpenSSH's own
// `ssh -G -F FILE HOST` (which prints the configuration ssh would use,
// without connecting) and wants the same answer for every setting planrun
// takes, or an error from both.
func TestAgainstOpenSSH(t *testing.T) {
	sshBin, err := exec.LookPath("ssh")
	if err != nil {
		t.Skip("SKIP: no ssh client to compare with (apt-get install openssh-client)")
	}
	me, err := osuser.Current()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	inc := filepath.Join(dir, "inc")
	os.MkdirAll(inc, 0o700)
	os.WriteFile(filepath.Join(inc, "10-a.conf"), []byte("Host fate-*\n  User from-include\n  Port 2201\n"), 0o600)
	os.WriteFile(filepath.Join(inc, "20-b.conf"), []byte("Host *\n  User late\n  ConnectTimeout 4\n"), 0o600)
	more := filepath.Join(dir, "more") // not in inc/*.conf
	os.MkdirAll(more, 0o700)
	os.WriteFile(filepath.Join(more, "bad.conf"), []byte("Host *\n  ConnectTimeout soon\n"), 0o600)
	os.WriteFile(filepath.Join(more, "final.conf"), []byte("Match final\n"), 0o600)

	tests := map[string]struct {
		config string
		host   string
		user   string // -l
		port   string // -p
	}{
		"empty":                             {host: "h"},
		"alias":                             {config: "Host a\n  HostName 10.0.0.5\n  User app\n  Port 2222\n  IdentityFile /k1\n  UserKnownHostsFile /kh\n", host: "a"},
		"first wins":                        {config: "Host a*\n  User u1\n  IdentityFile /k1\nHost *\n  User u2\n  Port 23\n  IdentityFile /k2\n", host: "abc"},
		"given wins":                        {config: "Host *\n  User u\n  Port 23\n", host: "x", user: "given", port: "2200"},
		"negation":                          {config: "Host * !bastion\n  ProxyJump bastion\nHost bastion\n  HostName 10.0.0.1\n", host: "bastion"},
		"negation other":                    {config: "Host * !bastion\n  ProxyJump bastion\n", host: "inner"},
		"case":                              {config: "Host DB-?\n  User a\n", host: "db-1"},
		"case, given":                       {config: "Host db-?\n  User a\nMatch host db-?\n  Port 2\nMatch originalhost DB-*\n  IdentityFile /k\n", host: "DB-1"},
		"case, hostname":                    {config: "Host a\n  HostName MiXed.Example\nMatch host mixed.*\n  User m\n", host: "a"},
		"equals, quotes":                    {config: "Host=h\nIdentityFile = \"/my keys/id\"\nUser=\"bob\" # comment\n", host: "h"},
		"hostname token":                    {config: "Host *.fate\n  HostName %h.example.com\n", host: "a.fate"},
		"match host":                        {config: "Host a\n  HostName 10.0.0.9\nMatch host 10.0.0.* !user root\n  Port 2201\nMatch originalhost a\n  User app\n", host: "a", user: "ops"},
		"match user":                        {config: "Match user root\n  Port 2202\n", host: "a", user: "root"},
		"match negated":                     {config: "Match !host a\n  Port 1\nMatch all\n  Port 2\n", host: "a"},
		"match localuser":                   {config: fmt.Sprintf("Match localuser %s\n  Port 2203\n", me.Username), host: "a"},
		"match final":                       {config: "Match final\n  User fin\n", host: "a"},
		"include":                           {config: "Include " + inc + "/*.conf\n", host: "fate-1"},
		"include inside":                    {config: "Host other\n  Include " + inc + "/*.conf\nHost *\n  Port 99\n", host: "fate-1"},
		"proxyjump none":                    {config: "Host a\n  ProxyJump none\nHost *\n  ProxyJump bastion\n", host: "a"},
		"proxyjump chain":                   {config: "Host a\n  ProxyJump u@j1:2022,j2\n", host: "a"},
		"known hosts":                       {config: "Host *\n  UserKnownHostsFile ~/kh1 /kh2\n", host: "a"},
		"known hosts none":                  {config: "Host *\n  UserKnownHostsFile none\n  GlobalKnownHostsFile /g1 ~/g2\n", host: "a"},
		"global none":                       {config: "Host *\n  GlobalKnownHostsFile none\n", host: "a"},
		"certificates":                      {config: "Host a\n  CertificateFile ~/c1.pub\nHost *\n  CertificateFile /c2.pub\n", host: "a"},
		"host key alias":                    {config: "Host a\n  HostKeyAlias MyAlias\nHost *\n  HostKeyAlias other\n", host: "a"},
		"times":                             {config: "Host a\n  ConnectTimeout 1m30s\n  ServerAliveInterval 1h\n  ServerAliveCountMax 5\n", host: "a"},
		"times, seconds and none":           {config: "Host a\n  ConnectTimeout 1m1\n  ServerAliveInterval none\n", host: "a"},
		"bad alive interval":                {config: "ServerAliveInterval 5q\n", host: "a"},
		"bad alive count":                   {config: "ServerAliveCountMax many\n", host: "a"},
		"agent":                             {config: "Host a\n  IdentityAgent ~/agent/%u.sock\n  IdentitiesOnly yes\nHost *\n  IdentityAgent none\n  IdentitiesOnly no\n", host: "a"},
		"agent none":                        {config: "Host *\n  IdentityAgent none\n  IdentitiesOnly no\n", host: "a"},
		"bad identitiesonly":                {config: "IdentitiesOnly maybe\n", host: "a"},
		"bad port":                          {config: "Port 0x10\n", host: "a"},
		"big port":                          {config: "Host *\n  Port 99999\n", host: "a"},
		"bad timeout":                       {config: "ConnectTimeout soon\n", host: "a"},
		"bad criterion":                     {config: "Match hostt a\n", host: "a"},
		"no pattern":                        {config: "Host\n", host: "a"},
		"unterminated quote":                {config: "User \"bob\n", host: "a"},
		"no value":                          {config: "Host a\n  User\n", host: "a"},
		"missing include":                   {config: "Include /nonexistent/*.conf\nInclude /nonexistent/x\n", host: "a"},
		"exec not reached":                  {config: "Match host other exec \"exit 1\"\n  Port 1\n", host: "a"},
		"proxycommand first":                {config: "Host a\n  ProxyCommand none\n  ProxyJump j\n", host: "a"},
		"proxycommand as written":           {config: "Host a\n  ProxyCommand = sh -c 'nc \"$0\" %p' %h  # nc\t \n  ProxyUseFdpass yes\n", host: "a"},
		"proxycommand NONE":                 {config: "Host a\n  ProxyCommand NONE\nHost *\n  ProxyCommand nc %h %p\n", host: "a"},
		"proxycommand after proxyjump":      {config: "Host a\n  ProxyJump j\n  ProxyCommand nc %h %p\n", host: "a"},
		"proxycommand after proxyjump none": {config: "Host a\n  ProxyJump none\n  ProxyCommand nc %h %p\n  ProxyJump j\n", host: "a"},
		"proxycommand none, then":           {config: "Host a\n  ProxyCommand none\n  ProxyCommand nc %h %p\n  ProxyJump j\n", host: "a"},
		"proxyjump none, both none":         {config: "Host a\n  ProxyJump none\n  ProxyCommand none\n  ProxyCommand nc\n  ProxyJump j\n", host: "a"},
		"proxycommand before proxyjump":     {config: "Host *\n  ProxyCommand nc %h %p\n  ProxyJump j\n", host: "a"},
		"proxycommand bad quotes":           {config: "Host a\n  ProxyCommand sh -c 'nc\n", host: "a"},
		"proxyusefdpass bad":                {config: "Host other\n  ProxyUseFdpass maybe\n", host: "a"},
		"knownhostscommand":                 {config: "Host a\n  KnownHostsCommand = /usr/bin/sss_ssh_knownhosts  %H \"x y\" # c \t\nHost *\n  KnownHostsCommand /bin/other\n", host: "a"},
		"knownhostscommand none":            {config: "Host a\n  KnownHostsCommand NONE\nHost *\n  KnownHostsCommand /bin/other\n", host: "a"},
		"knownhostscommand, bad quotes":     {config: "Host a\n  KnownHostsCommand /bin/x 'y\n", host: "a"},
		"exec":                              {config: "Host *\n  User x\nMatch exec \"test %h:%p:%r:%n:%u = a:22:x:a:" + me.Username + "\"\n  Port 1\n", host: "a"},
		"exec false":                        {config: "Match exec \"exit 3\"\n  Port 1\nMatch !exec false\n  User y\n", host: "a"},
		"exec, HostName so far":             {config: "Host a\n  HostName %h.Example\nMatch exec \"test %h/%n/%k = a.example/a/a.example\"\n  Port 1\n", host: "a"},
		"exec, case of the host":            {config: "Match exec \"test %h/%n = Abc/Abc\"\n  Port 1\nMatch exec \"test %h/%n = abc/Abc\"\n  Port 2\n", host: "Abc"},
		"exec, HostName case":               {config: "Host *\n  HostName XY\nMatch exec \"test %h = XY\"\n  Port 1\nMatch exec \"test %h = xy\"\n  Port 2\n", host: "a"},
		"exec, alias":                       {config: "Host *\n  HostKeyAlias KA\nMatch exec \"test %k = KA\"\n  Port 1\nMatch exec \"test %k = ka\"\n  Port 2\n", host: "a"},
		"exec, alias, final pass":           {config: "Host *\n  HostKeyAlias KA\n  HostName HN\nMatch final exec \"test %k/%h = KA/HN\"\n  Port 1\nMatch final exec \"test %k/%h = ka/hn\"\n  Port 2\n", host: "a"},
		"exec, final pass":                  {config: "Host a\n  HostName b\nMatch final exec \"test %h = b\"\n  User f\n", host: "a"},
		"exec, bad token not reached":       {config: "Match host other exec \"test %y\"\n  Port 1\n", host: "a"},
		"exec, local tokens":                {config: "Match exec \"test %d:%i:%L:%l = $HOME:$(id -u):$(hostname -s):$(hostname)\"\n  Port 1\n", host: "a"},
		"unknown keyword":                   {config: "Host a\n  Hostnmae 10.0.0.1\n", host: "a"},
		"unknown, other block":              {config: "Host other\n  Bogus 1\n", host: "a"},
		"ignore unknown":                    {config: "IgnoreUnknown bogus*,UseKeychain\nHost *\n  BogusThing 1\n  UseKeychain yes\n  User u\n", host: "a"},
		"ignore unknown, negated":           {config: "IgnoreUnknown *,!bogus\nBogus 1\n", host: "a"},
		"ignore unknown, first":             {config: "IgnoreUnknown foo\nIgnoreUnknown bar\nBar 1\n", host: "a"},
		"ignore unknown, later":             {config: "Foo 1\nIgnoreUnknown foo\n", host: "a"},
		"ignore unknown, off":               {config: "Host other\n  IgnoreUnknown foo\nHost *\n  Foo 1\n", host: "a"},
		"old keywords":                      {config: "Host *\n  Protocol 2\n  UseRoaming no\n  IdentityFile2 /k2\n  KeepAlive yes\n  PubkeyAcceptedKeyTypes +ssh-rsa\n  GSSAPIAuthentication no\n  RSAAuthentication no\n", host: "a"},
		"final pass, first wins":            {config: "Match final\n  User a\nHost *\n  User b\n", host: "a"},
		"final pass, HostName":              {config: "Host fate-a\n  HostName 10.1.0.5\nMatch final\nHost 10.1.*\n  User x\nHost fate-a\n  Port 7\n", host: "fate-a"},
		"files named twice":                 {config: "Match final\nHost *\n  IdentityFile /k\n  CertificateFile /c\nHost a\n  IdentityFile /k\n  IdentityFile /k2\n  CertificateFile /c\n", host: "a"},
		"canonical, dots":                   {config: "CanonicalizeHostname yes\nCanonicalizeMaxDots 0\nCanonicalDomains example.invalid\nCanonicalizeFallbackLocal no\nMatch canonical\n  User c\n", host: "a.b"},
		"canonical, jump host":              {config: "CanonicalizeHostname yes\nCanonicalDomains example.invalid\nCanonicalizeFallbackLocal no\nProxyJump j\nMatch canonical host h\n  Port 2\n", host: "h"},
		"canonical, address":                {config: "CanonicalizeHostname yes\nCanonicalDomains example.invalid\nCanonicalizeFallbackLocal no\nMatch canonical\n  Port 3\n", host: "10.0.0.1"},
		"canonical, unresolved":             {config: "CanonicalizeHostname yes\nCanonicalDomains example.invalid\nCanonicalizeFallbackLocal no\n", host: "h"},
		"canonical, fallback":               {config: "CanonicalizeHostname yes\nCanonicalDomains example.invalid\nMatch canonical host h\n  User fb\n", host: "H"},
		"canonical, HostName":               {config: "Host a\n  HostName B.internal\nCanonicalizeHostname yes\nCanonicalizeMaxDots 0\nHost b.internal\n  User bi\n", host: "a"},
		"tokens k and C":                    {config: "Host a\n  HostName H.example\n  UserKnownHostsFile /kh/%k /c/%C\n", host: "a", user: "u"},
		"token k, alias":                    {config: "Host a\n  HostKeyAlias Alias1\n  UserKnownHostsFile /kh/%k-%n\n", host: "a"},
		"match all, alone":                  {config: "Match all host a\n  User x\n", host: "a"},
		"match all, last":                   {config: "Match host a all\n  User x\n", host: "a"},
		"match all, after two":              {config: "Match host a user root all\n  User x\n", host: "a", user: "root"},
		"match not all":                     {config: "Match !all\n  User y\n", host: "a"},
		"bad values where no block applies": {config: "Host other\n  Port abc\n", host: "a"},
		"bad flag where no block applies":   {config: "Host other\n  IdentitiesOnly maybe\n", host: "a"},
		"no argument":                       {config: "Host other\n  ForwardAgent\n", host: "a"},
		"include where no block applies":    {config: "Host other\n  Include " + more + "/bad.conf\n", host: "a"},
		"match final in an unused include":  {config: "Host other\n  Include " + more + "/final.conf\nHost a\n  User late\n", host: "A"},
		"distribution keywords":             {config: "Host *\n  GSSAPIKeyExchange no\n  GSSAPITrustDNS no\n", host: "a"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if d := compareWithSSH(t, sshBin, tc.config, tc.host, tc.user, tc.port); d != "" {
				t.Error(d)
			}
		})
	}
}

// compareWithSSH looks host up in config both with Lookup and with
// ssh -G, and returns how the answers differ ("" when they agree, or
// both fail).
func compareWithSSH(t *testing.T, sshBin, config, host, user, port string) string {
	t.Helper()
	me, err := osuser.Current()
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(cfg, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"-G", "-F", cfg}
	if user != "" {
		args = append(args, "-l", user)
	}
	if port != "" {
		args = append(args, "-p", port)
	}
	out, sshErr := exec.Command(sshBin, append(args, host)...).Output()
	s, err := sshconfig.Lookup([]sshconfig.File{{Path: cfg}}, sshconfig.Query{Host: host, User: user, Port: port})
	if (sshErr != nil) != (err != nil) {
		return fmt.Sprintf("ssh -G: %v; Lookup: %v; want both to fail or neither", sshErr, err)
	}
	if err != nil {
		return ""
	}
	if d := cmp.Diff(fromSSH(t, string(out)), fromLookup(s, host, me.Username)); d != "" {
		return "(-ssh -G +Lookup):\n" + d
	}
	return ""
}

// resolved is what both sides agree on, in ssh -G's terms.
type resolved struct {
	HostName, User, Port, ProxyJump, ConnectTimeout string
	ProxyCommand, ProxyUseFdpass, KnownHostsCommand string
	HostKeyAlias, AliveInterval, AliveCountMax      string
	IdentityFiles, CertificateFiles                 []string
	KnownHosts, GlobalKnownHosts                    []string
	IdentityAgent, IdentitiesOnly                   string
}

// fromSSH reads ssh -G's output. Its defaults (identity files, known
// hosts) stand for "not set".
func fromSSH(t *testing.T, out string) resolved {
	home, _ := os.UserHomeDir()
	var r resolved
	plain := map[string]*string{"hostname": &r.HostName, "user": &r.User, "port": &r.Port,
		"proxyjump": &r.ProxyJump, "serveraliveinterval": &r.AliveInterval, "serveralivecountmax": &r.AliveCountMax,
		"hostkeyalias": &r.HostKeyAlias, "identityagent": &r.IdentityAgent, "identitiesonly": &r.IdentitiesOnly,
		"proxycommand": &r.ProxyCommand, "proxyusefdpass": &r.ProxyUseFdpass, "knownhostscommand": &r.KnownHostsCommand}
	for _, line := range strings.Split(out, "\n") {
		k, v, _ := strings.Cut(line, " ")
		if p, ok := plain[k]; ok {
			*p = v
			continue
		}
		switch k {
		case "connecttimeout":
			if v != "none" {
				r.ConnectTimeout = v
			}
		case "identityfile":
			if p := strings.Replace(v, "~", home, 1); !strings.HasPrefix(p, home+"/.ssh/id_") {
				r.IdentityFiles = append(r.IdentityFiles, p)
			}
		case "userknownhostsfile":
			if v != home+"/.ssh/known_hosts "+home+"/.ssh/known_hosts2" {
				r.KnownHosts = files(v, home)
			}
		case "certificatefile":
			r.CertificateFiles = append(r.CertificateFiles, strings.Replace(v, "~", home, 1))
		case "globalknownhostsfile":
			if v != "/etc/ssh/ssh_known_hosts /etc/ssh/ssh_known_hosts2" {
				r.GlobalKnownHosts = files(v, home)
			}
		}
	}
	if r.IdentityAgent == "SSH_AUTH_SOCK" {
		r.IdentityAgent = "" // Settings' way of saying it
	}
	if r.HostName == "" {
		t.Fatalf("ssh -G printed no hostname:\n%s", out)
	}
	return r
}

// files reads a list of known_hosts files as ssh -G prints it.
func files(v, home string) []string {
	out := []string{}
	for _, f := range strings.Fields(v) {
		if f == "~" || strings.HasPrefix(f, "~/") {
			f = home + f[1:]
		}
		if f != "none" {
			out = append(out, f)
		}
	}
	return out
}

func fromLookup(s sshconfig.Settings, host, localUser string) resolved {
	r := resolved{HostName: strings.ToLower(host), User: localUser, Port: "22", ProxyJump: s.ProxyJump,
		HostKeyAlias:  s.HostKeyAlias,
		IdentityFiles: s.IdentityFiles, CertificateFiles: s.CertificateFiles, KnownHosts: s.KnownHosts, GlobalKnownHosts: s.GlobalKnownHosts}
	if s.HostName != "" {
		r.HostName = s.HostName
	}
	r.AliveInterval, r.AliveCountMax = fmt.Sprint(int(s.ServerAliveInterval.Seconds())), "3"
	if s.ServerAliveCountMax > 0 {
		r.AliveCountMax = fmt.Sprint(s.ServerAliveCountMax)
	}
	r.ProxyCommand, r.ProxyUseFdpass = s.ProxyCommand, "no"
	if c := s.KnownHostsCommand; c != nil {
		r.KnownHostsCommand = c.Line
	}
	if s.ProxyUseFdpass {
		r.ProxyUseFdpass = "yes"
	}
	r.IdentityAgent, r.IdentitiesOnly = s.IdentityAgent, "no"
	if s.IdentitiesOnly {
		r.IdentitiesOnly = "yes"
	}
	if s.User != "" {
		r.User = s.User
	}
	if s.Port != "" {
		r.Port = s.Port
	}
	if s.ConnectTimeout > 0 {
		r.ConnectTimeout = fmt.Sprint(int(s.ConnectTimeout.Seconds()))
	}
	return r
}

package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/planrun/planrun/fate/flow/flowtest"
	"github.com/planrun/planrun/hosts/sshtest"
	"github.com/planrun/planrun/internal/testfs"
	"github.com/planrun/planrun/internal/testnet"
)

// TestValidateConnect: validate --connect reaches every host of the
// inventory as a run would (OpenSSH's sshd when installed), and says for
// each whether it could.
func TestValidateConnect(t *testing.T) {
	srv := startCluster(t)
	dir := t.TempDir()
	emptyKnown := filepath.Join(dir, "empty_known_hosts")
	os.WriteFile(emptyKnown, nil, 0o600)
	otherKey := filepath.Join(dir, "other_key")
	sshtest.NewKey(t).WriteFile(t, otherKey)
	aFile := filepath.Join(srv.Dir, "a-file")
	os.WriteFile(aFile, nil, 0o644)
	closed := testnet.RefusedAddr(t)
	entry := func(addr, key, known, root string) string {
		return fmt.Sprintf("{ssh: %q, identity_files: [%q], known_hosts: %q, root: %q, ssh_config: none, connect_timeout: 5s}",
			srv.User+"@"+addr, key, known, root)
	}
	fl, old := flowtest.New(t, flowtest.Options{}), flowtest.New(t, flowtest.Options{Generation: flowtest.Gen15})
	signed := flowtest.New(t, flowtest.Options{AppKey: "planrun", Secret: "right"})
	t.Setenv("PLANRUN_TEST_FLOW_SECRET", "wrong")
	good := strings.TrimSuffix(entry(srv.Addr, srv.IdentityFile, srv.KnownHosts, srv.Dir), "}") + ", flow: " + fl.URL + ", fate_base: fate}"
	os.MkdirAll(filepath.Join(srv.Dir, "fate", "model_local_cache"), 0o755)
	noBase := strings.TrimSuffix(entry(srv.Addr, srv.IdentityFile, srv.KnownHosts, srv.Dir), "}") + ", fate_base: /nonexistent/fate}"
	tunnelConfig := filepath.Join(dir, "ssh_config")
	os.WriteFile(tunnelConfig, []byte("Host tunnel-down\n  HostName 127.0.0.1\n"+
		"  ProxyCommand sh -c 'echo no route to bastion.example >&2; exit 1'\n"), 0o600)
	tunnel := fmt.Sprintf("{ssh: tunnel-down, identity_files: [%q], known_hosts: %q, ssh_config: %q}",
		srv.IdentityFile, srv.KnownHosts, tunnelConfig)
	planText := "version: 1\nhosts:\n" +
		"  tunnel-down: " + tunnel + "\n" +
		"  good: " + good + "\n" +
		"  flow-old: {flow: " + old.URL + "}\n" +
		"  flow-down: {flow: http://" + closed + "}\n" +
		"  flow-signed: {flow: " + signed.URL + ", flow_app_key: planrun, flow_secret_env: PLANRUN_TEST_FLOW_SECRET}\n" +
		"  later: " + entry(srv.Addr, srv.IdentityFile, srv.KnownHosts, filepath.Join(srv.Dir, "made-by-a-step")) + "\n" +
		"  unknown-key: " + entry(srv.Addr, srv.IdentityFile, emptyKnown, srv.Dir) + "\n" +
		"  wrong-key: " + entry(srv.Addr, otherKey, srv.KnownHosts, srv.Dir) + "\n" +
		"  down: " + entry(closed, srv.IdentityFile, srv.KnownHosts, srv.Dir) + "\n" +
		"  file-root: " + entry(srv.Addr, srv.IdentityFile, srv.KnownHosts, aFile) + "\n" +
		"  site: {root: site, fate_base: " + srv.Dir + "}\n" +
		"  no-base: " + noBase + "\n" +
		"  site-b: {root: " + srv.Dir + ", fate_base: .}\n" +
		"steps:\n  - {id: hi, kind: exec, with: {host: good, command: \"echo hi\"}}\n"
	plan := filepath.Join(dir, "plan.yaml")
	os.WriteFile(plan, []byte(planText), 0o644)

	var out, errb bytes.Buffer
	if code := run([]string{"validate", plan}, nil, &out, &errb); code != exitOK || strings.Contains(out.String(), "host ") {
		t.Fatalf("validate without --connect: exit %d, it reached hosts or failed:\n%s%s", code, out.String(), errb.String())
	}
	out.Reset()
	errb.Reset()
	if code := run([]string{"validate", "--connect", plan}, nil, &out, &errb); code != exitStepFailed {
		t.Errorf("exit %d, want %d", code, exitStepFailed)
	}
	wantOut := []string{
		"^" + regexp.QuoteMeta(plan) + `: ok \(1 step\)$`,
		`^host flow-old \(flow ` + regexp.QuoteMeta(old.URL) + `\): ok in \d+(\.\d+)?m?s$`,
		`^host good \(` + regexp.QuoteMeta(srv.Addr+", flow "+fl.URL) + `\): ok in \d+(\.\d+)?m?s$`,
		`^host later \(` + regexp.QuoteMeta(srv.Addr) + `\): ok in \d+(\.\d+)?m?s; its root does not exist yet$`,
		`^host site \(` + regexp.QuoteMeta(filepath.Join(dir, "site")) + `\): ok; its root does not exist yet$`,
		`^host site-b \(` + regexp.QuoteMeta(srv.Dir) + `\): ok; no model_local_cache in fate_base yet$`,
	}
	wantErr := []string{
		`^host down \(` + regexp.QuoteMeta(closed) + `\): .*connection refused$`,
		`^host file-root \(` + regexp.QuoteMeta(srv.Addr) + `\): root: not a directory$`,
		`^host flow-down \(flow http://` + regexp.QuoteMeta(closed) + `\): flow export for guest:0 on flow-down: .*connection refused$`,
		`^host flow-signed \(flow ` + regexp.QuoteMeta(signed.URL) + `\): flow export .* retcode 109, "signature authentication failed"$`,
		`^host no-base \(` + regexp.QuoteMeta(srv.Addr) + `\): fate_base /nonexistent/fate: .*(not exist|no such file)`,
		`^host tunnel-down \(127\.0\.0\.1:22\): .*handshake failed: EOF \(ProxyCommand \(` + regexp.QuoteMeta(tunnelConfig) +
			`:3\): exit status 1, said: no route to bastion.example\)$`,
		`^host unknown-key \(` + regexp.QuoteMeta(srv.Addr) + `\): .*host key of unknown-key \(` + regexp.QuoteMeta(srv.Addr) + `\) is unknown`,
		`^host wrong-key \(` + regexp.QuoteMeta(srv.Addr) + `\): .*unable to authenticate`,
		`^planrun: 8 of 13 hosts failed the check \(each says why above\)$`,
	}
	check := func(what, got string, want []string) {
		lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
		if len(lines) != len(want) {
			t.Errorf("%s: %d lines, want %d:\n%s", what, len(lines), len(want), got)
			return
		}
		for i, re := range want {
			if !regexp.MustCompile(re).MatchString(lines[i]) {
				t.Errorf("%s line %d = %q, want it to match %q", what, i+1, lines[i], re)
			}
		}
	}
	check("stdout", out.String(), wantOut)
	check("stderr", errb.String(), wantErr)
	if _, err := os.Stat(filepath.Join(srv.Dir, "made-by-a-step")); err == nil {
		t.Error("--connect created a host's root")
	}
}

// TestValidateConnectSFTPOnly: an account whose login shell refuses
// commands (nologin) is ok for a host that only transfers files, with a
// note, and an error for a host exec steps run commands on.
func TestValidateConnectSFTPOnly(t *testing.T) {
	nologin := filepath.Join(t.TempDir(), "nologin")
	os.WriteFile(nologin, []byte("#!/bin/sh\necho 'This account is currently not available.'\nexit 1\n"), 0o755)
	srv := sshtest.StartInProcess(t)
	srv.SetShell(nologin)
	entry := fmt.Sprintf("{ssh: %q, identity_files: [%q], known_hosts: %q, root: %q, ssh_config: none}",
		srv.User+"@"+srv.Addr, srv.IdentityFile, srv.KnownHosts, srv.Dir)
	dir := t.TempDir()
	plan := filepath.Join(dir, "plan.yaml")
	os.WriteFile(plan, []byte("version: 1\nhosts:\n  files: "+entry+"\n  cmds: "+entry+"\nsteps:\n"+
		"  - {id: get, kind: transfer, with: {from: \"files:.\", to: \"local:"+filepath.Join(dir, "got")+"\"}}\n"+
		"  - {id: hi, kind: exec, with: {host: cmds, command: \"echo hi\"}}\n"), 0o644)
	var out, errb bytes.Buffer
	if code := run([]string{"validate", "--connect", plan}, nil, &out, &errb); code != exitStepFailed {
		t.Errorf("exit %d, want %d", code, exitStepFailed)
	}
	wantOut := regexp.QuoteMeta("host files ("+srv.Addr+"): ok in ") + `.*; it runs no commands \(` + "`true`" +
		`: exit status 1: This account is currently not available\.\): files only, which is all its steps need`
	if !regexp.MustCompile("(?m)^" + wantOut + "$").MatchString(out.String()) {
		t.Errorf("stdout:\n%s\nwant a line matching %s", out.String(), wantOut)
	}
	wantErr := `host cmds \(` + regexp.QuoteMeta(srv.Addr) + `\): the login shell ran ` + "`true`" +
		` with exit status 1: This account is currently not available\. \(exec steps run commands there\)`
	if !regexp.MustCompile("(?m)^" + wantErr + "$").MatchString(errb.String()) {
		t.Errorf("stderr:\n%s\nwant a line matching %s", errb.String(), wantErr)
	}
}

// TestValidateConnectReadOnly: a host whose fate_base (or root) is on a
// read-only file system is noted as such, locally and over SSH (OpenSSH's
// statvfs): imports there would fail. Only noted: a cluster that is only
// read from may be read-only. It needs root to mount a tmpfs, and says so
// when it skips.
func TestValidateConnectReadOnly(t *testing.T) {
	mnt := testfs.Tmpfs(t, "read-only fate_base", "1m")
	os.MkdirAll(filepath.Join(mnt, "fate", "model_local_cache"), 0o755)
	testfs.Remount(t, mnt, "ro")
	srv := sshtest.StartSSHD(t)
	sp := srv.Spec()
	dir := t.TempDir()
	planText := fmt.Sprintf("version: 1\nhosts:\n"+
		"  remote: {ssh: %q, identity_files: [%q], known_hosts: %q, ssh_config: none, fate_base: %q}\n"+
		"  here: {fate_base: %q}\n"+
		"  writable: {root: %q}\n"+
		"steps:\n  - {id: hi, kind: exec, with: {command: \"true\"}}\n",
		sp.SSH, sp.IdentityFiles[0], sp.KnownHosts, filepath.Join(mnt, "fate"), filepath.Join(mnt, "fate"), dir)
	plan := filepath.Join(dir, "plan.yaml")
	os.WriteFile(plan, []byte(planText), 0o644)
	var out, errb bytes.Buffer
	if code := run([]string{"validate", "--connect", plan}, nil, &out, &errb); code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out.String(), errb.String())
	}
	for _, re := range []string{
		`(?m)^host here \(.*\): ok; writes under its fate_base will fail: the file system there is read-only$`,
		`(?m)^host remote \(.*\): ok in .*; writes under its fate_base will fail: the file system there is read-only$`,
		`(?m)^host writable \(.*\): ok$`,
	} {
		if !regexp.MustCompile(re).MatchString(out.String()) {
			t.Errorf("stdout does not match %q:\n%s", re, out.String())
		}
	}
}

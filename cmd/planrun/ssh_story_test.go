package main

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/planrun/planrun/fate/sample"
	"github.com/planrun/planrun/hosts/sshtest"
)

// startCluster starts an SSH server standing for one FATE cluster:
// OpenSSH's sshd when installed, else the in-process server.
func startCluster(t *testing.T) *sshtest.Server {
	if _, err := os.Stat(sshtest.SSHDPath); err == nil {
		return sshtest.StartSSHD(t)
	}
	t.Log("sshd not installed (apt-get install openssh-server): using the in-process SSH server")
	return sshtest.StartInProcess(t)
}

func clusterYAML(s *sshtest.Server) string {
	sp := s.Spec()
	return fmt.Sprintf("{ssh: %q, identity_files: [%q], known_hosts: %q, root: %q, fate_base: %q}",
		sp.SSH, sp.IdentityFiles[0], sp.KnownHosts, sp.Root, s.Dir)
}

// TestMigrationOverSSH: a model trained by guest 9999 and host 10000 lives
// in one cluster's model_local_cache (an sshd on one port, its own
// directory); the plan fetches each party's model over SSH, migrates it
// natively, collects the zip, ships it over SSH to the other cluster (a
// second sshd), imports it there with engine native and verifies it there.
// A second apply does nothing.
func TestMigrationOverSSH(t *testing.T) {
	if testing.Short() {
		t.Skip("SSH story skipped in -short mode")
	}
	oldC, newC := startCluster(t), startCluster(t)
	migrationStory(t, oldC, newC, "  old: "+clusterYAML(oldC)+"\n  new: "+clusterYAML(newC)+"\n")
}

// TestMigrationThroughSSHConfig is the same story with the inventory
// written as an operator with an ssh config would: each cluster is an
// alias there (address, user, key, known_hosts), and the new cluster is
// reached through a bastion (ProxyJump), itself an alias. The clusters'
// host keys are trusted through their host certificates: known_hosts
// holds only @cert-authority lines for them. validate --connect passes
// first.
func TestMigrationThroughSSHConfig(t *testing.T) {
	if testing.Short() {
		t.Skip("SSH story skipped in -short mode")
	}
	oldC, newC, bastion := startCluster(t), startCluster(t), sshtest.StartInProcess(t)
	known := filepath.Join(t.TempDir(), "known_hosts")
	var lines []string
	for _, c := range []*sshtest.Server{oldC, newC} {
		_, port, _ := net.SplitHostPort(c.Addr)
		lines = append(lines, "@cert-authority [127.0.0.1]:"+port+" "+string(c.HostCA.AuthorizedKey()))
	}
	if err := os.WriteFile(known, []byte(strings.Join(lines, "")), 0o600); err != nil {
		t.Fatal(err)
	}
	block := func(alias string, s *sshtest.Server, extra string) string {
		host, port, _ := net.SplitHostPort(s.Addr)
		kh := s.KnownHosts
		if s != bastion {
			kh = known
		}
		return fmt.Sprintf("Host %s\n  HostName %s\n  Port %s\n  User %s\n  IdentityFile %s\n  UserKnownHostsFile %s\n%s",
			alias, host, port, s.User, s.IdentityFile, kh, extra)
	}
	config := filepath.Join(t.TempDir(), "ssh_config")
	text := block("fate-old", oldC, "") + block("fate-new", newC, "  ProxyJump jump\n") + block("jump", bastion, "")
	if err := os.WriteFile(config, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	hostsYAML := fmt.Sprintf("  old: {ssh: fate-old, ssh_config: %q, root: %q, fate_base: %q}\n", config, oldC.Dir, oldC.Dir) +
		fmt.Sprintf("  new: {ssh: fate-new, ssh_config: %q, root: %q, fate_base: %q}\n", config, newC.Dir, newC.Dir)
	migrationStory(t, oldC, newC, hostsYAML)
	if bastion.Tunnels() == 0 {
		t.Error("the bastion tunnelled no connection to the new cluster")
	}
}

// migrationStory runs the story against two clusters whose inventory
// entries are hostsYAML (lines under hosts:, for old and new).
func migrationStory(t *testing.T, oldC, newC *sshtest.Server, hostsYAML string) {
	res, err := sample.Write(filepath.Join(oldC.Dir, "model_local_cache"), sample.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	migrate := `{"job_parameters": {"federated_mode": "SINGLE"},
 "role": {"guest": [9999], "host": [10000], "arbiter": [10000]},
 "execute_party": {"guest": [9999], "host": [10000], "arbiter": [10000]},
 "migrate_initiator": {"role": "guest", "party_id": 99},
 "migrate_role": {"guest": [99], "host": [100], "arbiter": [100]},
 "model_id": "` + res.ModelID + `", "model_version": "` + res.Version + `"}`
	planText := `version: 1
name: over-ssh
hosts:
` + hostsYAML + `vars: {model_id: "` + res.ModelID + `", version: "` + res.Version + `"}
steps:
  - batch: parties
    for_each:
      key: party
      items:
        - {party: guest, old: 9999, new: 99}
        - {party: host, old: 10000, new: 100}
    steps:
      - id: fetch
        kind: transfer
        with: {from: "old:model_local_cache/${{ item.party }}#${{ item.old }}#${{ vars.model_id }}/${{ vars.version }}", to: "local:work/${{ item.party }}/"}
      - id: migrate
        kind: migrate
        with: {engine: native, model: "local:${{ steps.fetch.outputs.path }}", config_file: migrate_model.json, party: "${{ item.party }}:${{ item.old }}"}
      - id: collect
        kind: collect
        with: {from: "local:${{ steps.migrate.outputs.zip }}", to: "work/zips"}
      - id: ship
        kind: transfer
        with: {from: "local:${{ steps.collect.outputs.path }}", to: "new:incoming/"}
      - id: import
        kind: import
        with: {engine: native, host: new, file: "new:${{ steps.ship.outputs.path }}", sha256: "${{ steps.collect.outputs.sha256 }}", role: "${{ item.party }}", party_id: "${{ item.new }}"}
      - id: verify
        kind: verify
        with: {model: "new:model_local_cache/${{ steps.import.outputs.party_model_id }}/${{ steps.import.outputs.model_version }}", config_file: migrate_model.json}
`
	for name, text := range map[string]string{"plan.yaml": planText, "migrate_model.json": migrate} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	plan, state := filepath.Join(dir, "plan.yaml"), filepath.Join(dir, ".planrun")
	var out, errb bytes.Buffer
	if code := run([]string{"validate", "--connect", plan}, nil, &out, &errb); code != exitOK || strings.Count(out.String(), ": ok") != 3 {
		t.Fatalf("validate --connect: exit %d\n%s%s", code, out.String(), errb.String())
	}
	out.Reset()
	if code := run([]string{"apply", plan, "--state", state}, nil, &out, &errb); code != exitOK {
		t.Fatalf("apply: exit %d\n%s%s", code, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "12 steps ok, 0 failed, 0 skipped") {
		t.Errorf("summary missing:\n%s", out.String())
	}
	for _, pm := range []string{"guest#99#arbiter-100#guest-99#host-100#model", "host#100#arbiter-100#guest-99#host-100#model"} {
		party := filepath.Join(newC.Dir, "model_local_cache", pm)
		entries, err := os.ReadDir(party)
		if err != nil {
			t.Fatalf("imported model %s: %v", pm, err)
		}
		if len(entries) != 1 || entries[0].Name() != res.Version {
			t.Errorf("%s holds %v, want only the version directory %s", pm, entries, res.Version)
		}
		if _, err := os.Stat(filepath.Join(party, res.Version, "variables", "data", "pipeline", "pipeline", "Pipeline")); err != nil {
			t.Errorf("imported pipeline: %v", err)
		}
	}

	out.Reset()
	errb.Reset()
	if code := run([]string{"apply", plan, "--state", state}, nil, &out, &errb); code != exitOK {
		t.Fatalf("second apply: exit %d\n%s%s", code, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "12 steps ok (12 already done)") {
		t.Errorf("second apply ran something:\n%s", out.String())
	}
}

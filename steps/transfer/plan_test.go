package transfer_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/planrun/planrun/hosts"
	"github.com/planrun/planrun/hosts/sshtest"
	"github.com/planrun/planrun/plan"
	"github.com/planrun/planrun/runner"
	"github.com/planrun/planrun/runner/checkpoint"
	"github.com/planrun/planrun/steps"
	"github.com/planrun/planrun/steps/exec"
	"github.com/planrun/planrun/steps/transfer"
)

func hostYAML(s *sshtest.Server) string {
	sp := s.Spec()
	return fmt.Sprintf("{ssh: %q, identity_files: [%q], known_hosts: %q, root: %q}", sp.SSH, sp.IdentityFiles[0], sp.KnownHosts, sp.Root)
}

// TestPlanOverSSH runs a real plan: a model tree goes local → cluster A
// (in-process SSH server that cuts the connection mid-transfer once: the
// step retries) → cluster B (OpenSSH's sshd when installed), then exec
// steps on B check it and report JSON outputs.
func TestPlanOverSSH(t *testing.T) {
	a := sshtest.StartInProcess(t)
	var b *sshtest.Server
	if _, err := os.Stat(sshtest.SSHDPath); err == nil {
		b = sshtest.StartSSHD(t)
	} else {
		t.Log("sshd not installed (apt-get install openssh-server): cluster B is in-process too")
		b = sshtest.StartInProcess(t)
	}
	base := t.TempDir()
	model := filepath.Join(base, "model")
	os.MkdirAll(filepath.Join(model, "variables/data"), 0o755)
	big := make([]byte, 6<<20)
	for i := range big {
		big[i] = byte(i * 7)
	}
	os.WriteFile(filepath.Join(model, "variables/data/pipeline.pb"), big, 0o644)
	for i := range 30 {
		os.WriteFile(filepath.Join(model, "variables/data", fmt.Sprintf("part-%02d.pb", i)), []byte(strings.Repeat("x", 1000+i)), 0o644)
	}
	os.WriteFile(filepath.Join(model, "define.json"), []byte(`{"party": 9999}`), 0o600)

	planFile := filepath.Join(base, "plan.yaml")
	yaml := `version: 1
name: two-clusters
hosts:
  cluster-a: ` + hostYAML(a) + `
  cluster-b: ` + hostYAML(b) + `
defaults: {retry: {attempts: 3, backoff: 50ms}}
steps:
  - id: ship
    kind: transfer
    with: {from: "local:model", to: "cluster-a:models/", parallel: 2}
  - id: relay
    kind: transfer
    with: {from: "cluster-a:${{ steps.ship.outputs.path }}", to: "cluster-b:incoming/model"}
  - id: count
    kind: exec
    with:
      host: cluster-b
      dir: "${{ steps.relay.outputs.path }}"
      command: 'printf "{\"files\": %d, \"where\": \"%s\"}" "$(find . -type f | wc -l)" "$TAG"'
      env: {TAG: "cluster b"}
  - id: digest
    kind: exec
    with:
      host: cluster-b
      command: sha256sum
      args: ["--", "${{ steps.relay.outputs.path }}/variables/data/pipeline.pb"]
`
	if err := os.WriteFile(planFile, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	reg := steps.NewRegistry(exec.New(), transfer.New())
	p, err := plan.Load([]string{planFile}, plan.Options{Registry: reg})
	if err != nil {
		t.Fatalf("load plan: %v", err)
	}
	ctx := context.Background()
	store := checkpoint.NewMem()
	run, err := store.CreateRun(ctx, "r1", p)
	if err != nil {
		t.Fatal(err)
	}
	pool := hosts.NewPool(p.Hosts, hosts.PoolOptions{BaseDir: p.BaseDir})
	defer pool.Close()

	a.DropAfter(2 << 20) // cut the first transfer to A mid-way
	sum, err := runner.Run(ctx, p, runner.Options{Registry: reg, Hosts: pool, Run: run, WorkDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Ok != 4 || sum.Failed != 0 {
		t.Fatalf("summary %s: %v", sum, sum.Errors)
	}
	if a.Drops() != 1 {
		t.Errorf("server A cut %d connections, want 1", a.Drops())
	}
	data, err := store.LoadRun(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	outs := map[string]map[string]any{}
	attempts := map[string]int{}
	for _, e := range data.Events {
		if e.Type == "step_succeeded" {
			outs[e.Step] = e.Outputs
			attempts[e.Step] = e.Attempt
		}
	}
	if attempts["ship"] < 2 {
		t.Errorf("ship succeeded on attempt %d; the dropped connection should have failed attempt 1", attempts["ship"])
	}
	if got := fmt.Sprint(outs["count"]["files"], "|", outs["count"]["where"]); got != "32|cluster b" {
		t.Errorf("count outputs %v", outs["count"])
	}
	want, _ := hosts.NewLocal("l", model).SHA256(ctx, "variables/data/pipeline.pb")
	if !strings.HasPrefix(fmt.Sprint(outs["digest"]["stdout"]), want) {
		t.Errorf("digest on B %v, want %s", outs["digest"]["stdout"], want)
	}
	if outs["ship"]["sha256"] != outs["relay"]["sha256"] || outs["relay"]["path"] != "incoming/model" {
		t.Errorf("ship %v relay %v", outs["ship"], outs["relay"])
	}
	for _, dir := range []string{filepath.Join(a.Dir, "models/model"), filepath.Join(b.Dir, "incoming/model")} {
		res, err := hosts.Copy(ctx, hosts.NewLocal("l", ""), model, hosts.NewLocal("l", ""), dir, hosts.CopyOptions{CheckOnly: true})
		if err != nil || res.Skipped != res.Files || res.Files != 32 {
			t.Errorf("%s does not match the source: %+v, %v", dir, res, err)
		}
	}
}

package modelimport_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/planrun/planrun/fate/flow/flowtest"
	"github.com/planrun/planrun/hosts"
	"github.com/planrun/planrun/hosts/sshtest"
	modelimport "github.com/planrun/planrun/steps/import"
)

// TestOverSSH: engine flow streams the archive from a host reached over
// SSH into FATE Flow; engine native installs the model into that host's
// model_local_cache over SFTP, with its marker.
func TestOverSSH(t *testing.T) {
	ssh := sshtest.StartInProcess(t)
	zip := archive(t, ssh.Dir, "")
	spec := ssh.Spec()
	spec.FateBase = "fate"
	srv := flowtest.New(t, flowtest.Options{})
	spec.Flow = srv.URL
	env := newEnv(t, map[string]hosts.Spec{"new-guest": spec})
	ctx := context.Background()
	k := modelimport.New()

	fc := flowCfg("new-guest:" + filepath.Base(zip))
	if _, err := k.Run(ctx, env, fc); err != nil {
		t.Fatal(err)
	}
	if srv.Imported() != 1 || srv.Requests()[0].FileLen == 0 {
		t.Errorf("flow import over SSH: %d imports", srv.Imported())
	}

	nc := &modelimport.Config{Engine: "native", Host: "new-guest", File: "new-guest:" + filepath.Base(zip), Role: "guest", PartyID: 99}
	out, err := k.Run(ctx, env, nc)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(ssh.Dir, "fate", "model_local_cache", "guest#99#"+modelID, version)
	if _, err := os.Stat(filepath.Join(dir, "variables/data/pipeline/pipeline/Pipeline")); err != nil {
		t.Fatalf("native import over SSH: %v (outputs %v)", err, out)
	}
	if pr, err := k.Probe(ctx, env, nc, out); err != nil || !pr.Done {
		t.Errorf("probe over SSH = %+v, %v", pr, err)
	}
}

package collect_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/planrun/planrun/hosts"
	"github.com/planrun/planrun/hosts/sshtest"
	"github.com/planrun/planrun/steps"
	"github.com/planrun/planrun/steps/collect"
)

// TestCollectOverSSH fetches the zip from a host reached over real SSH/SFTP
// (the in-process server on 127.0.0.1, host key checked).
func TestCollectOverSSH(t *testing.T) {
	srv := sshtest.StartInProcess(t)
	zb := modelZip()
	if err := os.MkdirAll(filepath.Join(srv.Dir, "temp"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(srv.Dir, "temp", "guest#99#m_1.zip"), zb, 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pool := hosts.NewPool(map[string]hosts.Spec{"new-guest": srv.Spec()}, hosts.PoolOptions{BaseDir: dir})
	t.Cleanup(func() { pool.Close() })
	env := &steps.Env{StepID: "collect-guest", Attempt: 1, BaseDir: dir, WorkDir: filepath.Join(dir, "work"),
		Hosts: pool, Log: io.Discard, Progress: steps.NopProgress{}}
	cfg := &collect.Config{From: "new-guest:temp/guest#99#m_1.zip"}
	out, err := collect.New().Run(context.Background(), env, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if out["sha256"] != sha(zb) {
		t.Errorf("outputs = %v", out)
	}
	pr, err := collect.New().Probe(context.Background(), env, cfg, out)
	if err != nil || !pr.Done {
		t.Errorf("probe = %+v, %v", pr, err)
	}
}

package transfer_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/planrun/planrun/hosts"
	"github.com/planrun/planrun/steps"
	"github.com/planrun/planrun/steps/transfer"
)

type countProgress struct{ total, done atomic.Int64 }

func (p *countProgress) SetTotal(n int64) { p.total.Store(n) }
func (p *countProgress) Add(n int64)      { p.done.Add(n) }

func TestLocalTransferAndProbe(t *testing.T) {
	base := t.TempDir()
	os.MkdirAll(filepath.Join(base, "model/empty"), 0o755)
	for rel, data := range map[string]string{"model/a": "alpha", "model/sub/b": "beta!", "model/skip.tmp": "x"} {
		p := filepath.Join(base, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	pool := hosts.NewPool(map[string]hosts.Spec{"site": {Root: "site"}}, hosts.PoolOptions{BaseDir: base})
	defer pool.Close()
	prog := &countProgress{}
	env := &steps.Env{StepID: "t", Attempt: 1, BaseDir: base, Hosts: pool, Progress: prog}
	k := transfer.New()
	cfg := &transfer.Config{From: "model", To: "site:inbox/", Exclude: []string{"*.tmp"}}
	ctx := context.Background()

	pr, err := k.Probe(ctx, env, cfg, nil)
	if err != nil || pr.Done {
		t.Fatalf("probe before: %+v, %v", pr, err)
	}
	out, err := k.Run(ctx, env, cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := steps.Outputs{
		"path": "inbox/model", "bytes": int64(10), "files": 2,
	}
	sa, _ := (hosts.NewLocal("x", base)).SHA256(ctx, "model/a")
	sb, _ := (hosts.NewLocal("x", base)).SHA256(ctx, "model/sub/b")
	want["sha256"] = hosts.ManifestDigest(map[string]string{"a": sa, "sub/b": sb})
	if d := cmp.Diff(want, out); d != "" {
		t.Errorf("outputs (-want +got):\n%s", d)
	}
	if prog.total.Load() != 10 || prog.done.Load() != 10 {
		t.Errorf("progress %d/%d, want 10/10", prog.done.Load(), prog.total.Load())
	}
	if b, err := os.ReadFile(filepath.Join(base, "site/inbox/model/sub/b")); err != nil || string(b) != "beta!" {
		t.Errorf("copied file: %q, %v", b, err)
	}
	pr, err = k.Probe(ctx, env, cfg, out)
	if err != nil || !pr.Done {
		t.Fatalf("probe after: %+v, %v", pr, err)
	}
	if d := cmp.Diff(want, pr.Outputs); d != "" {
		t.Errorf("probe outputs (-want +got):\n%s", d)
	}
	os.WriteFile(filepath.Join(base, "site/inbox/model/a"), []byte("ALPHA"), 0o644)
	pr, err = k.Probe(ctx, env, cfg, out)
	if why := "1 of 2 file(s) at site:inbox/ are missing or differ from model"; err != nil || pr.Done || pr.Why != why {
		t.Errorf("probe after the destination changed: %+v, %v; want why %q", pr, err, why)
	}
	if _, err := k.Run(ctx, env, cfg); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(base, "site/inbox/model/empty"))
	pr, err = k.Probe(ctx, env, cfg, out)
	if why := "directories of model are missing at site:inbox/"; err != nil || pr.Done || pr.Why != why {
		t.Errorf("probe after an empty directory went: %+v, %v; want why %q", pr, err, why)
	}
	if _, err := k.Run(ctx, env, cfg); err != nil {
		t.Fatalf("run after an empty directory went: %v", err)
	}
	if fi, err := os.Stat(filepath.Join(base, "site/inbox/model/empty")); err != nil || !fi.IsDir() {
		t.Errorf("the empty directory is not back: %v", err)
	}
}

func TestValidateAndHostRefs(t *testing.T) {
	k := transfer.New()
	got := k.Validate(&transfer.Config{From: "h:", To: "x", Parallel: -1, Exclude: []string{"["}, BWLimit: "20 MiBps"})
	want := []steps.FieldError{
		{Path: "from", Msg: `"h:" has no path (want host:path)`},
		{Path: "parallel", Msg: "must be at least 1"},
		{Path: "exclude[0]", Msg: `bad glob "[": syntax error in pattern`},
		{Path: "bwlimit", Msg: `bad rate "20 MiBps" (want a number and a unit: B, KB, KiB, MB, MiB, GB or GiB, e.g. 20MiB/s)`},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("validate (-want +got):\n%s", d)
	}
	refs := k.HostRefs(&transfer.Config{From: "old:/m", To: "/tmp/x"})
	if d := cmp.Diff([]steps.HostRef{{Path: "from", Host: "old"}, {Path: "to", Host: "local"}}, refs); d != "" {
		t.Errorf("hostrefs (-want +got):\n%s", d)
	}
}

func TestUnknownHost(t *testing.T) {
	pool := hosts.NewPool(nil, hosts.PoolOptions{BaseDir: t.TempDir()})
	_, err := transfer.New().Run(context.Background(), &steps.Env{Hosts: pool, Progress: steps.NopProgress{}}, &transfer.Config{From: "a", To: "ghost:/x"})
	if err == nil || !strings.Contains(err.Error(), `host "ghost"`) {
		t.Errorf("error %v", err)
	}
}

// TestBWLimit: the step's bwlimit reaches the copy (only its lower bound
// on the time taken is checked).
func TestBWLimit(t *testing.T) {
	base := t.TempDir()
	os.MkdirAll(filepath.Join(base, "model"), 0o755)
	os.WriteFile(filepath.Join(base, "model", "big"), make([]byte, 600<<10), 0o644)
	pool := hosts.NewPool(map[string]hosts.Spec{"site": {Root: "site"}}, hosts.PoolOptions{BaseDir: base})
	defer pool.Close()
	env := &steps.Env{StepID: "t", Attempt: 1, BaseDir: base, Hosts: pool, Progress: steps.NopProgress{}}
	start := time.Now()
	if _, err := transfer.New().Run(context.Background(), env, &transfer.Config{From: "model", To: "site:inbox/", BWLimit: "256KiB/s"}); err != nil {
		t.Fatal(err)
	}
	if took, min := time.Since(start), 2*time.Second; took < min {
		t.Errorf("600 KiB at 256 KiB/s took %v, want at least %v", took, min)
	}
}

package steps_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/planrun/planrun/hosts"
	"github.com/planrun/planrun/hosts/sshtest"
	"github.com/planrun/planrun/steps"
)

// TestFetch: a path on any local host is used in place (no copy); a path
// on an SSH host is copied into the step's work directory and verified.
func TestFetch(t *testing.T) {
	ctx := context.Background()
	base := t.TempDir()
	srv := sshtest.StartInProcess(t)
	if err := os.WriteFile(filepath.Join(srv.Dir, "model.zip"), []byte("remote bytes"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(base, "cluster"), 0o755); err != nil {
		t.Fatal(err)
	}
	pool := hosts.NewPool(map[string]hosts.Spec{"cluster": {Root: "cluster"}, "far": srv.Spec()}, hosts.PoolOptions{BaseDir: base})
	t.Cleanup(func() { pool.Close() })
	env := &steps.Env{StepID: "s1", BaseDir: base, WorkDir: filepath.Join(base, "work"), Hosts: pool, Progress: steps.NopProgress{}}
	abs := filepath.Join(t.TempDir(), "d.zip")
	for _, p := range []string{filepath.Join(base, "a/b.zip"), filepath.Join(base, "cluster", "c.zip"), abs} {
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte("local bytes"), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	for _, tc := range []struct{ addr, want string }{
		{"local:a/b.zip", filepath.Join(base, "a/b.zip")},
		{"cluster:c.zip", filepath.Join(base, "cluster", "c.zip")},
		{abs, abs},
		{"far:model.zip", filepath.Join(base, "work", "s1", "in", "model.zip")},
	} {
		got, err := steps.Fetch(ctx, env, tc.addr, "in")
		if err != nil {
			t.Fatalf("Fetch(%s): %v", tc.addr, err)
		}
		if got != tc.want {
			t.Errorf("Fetch(%s) = %s, want %s", tc.addr, got, tc.want)
		}
	}
	b, err := os.ReadFile(filepath.Join(base, "work", "s1", "in", "model.zip"))
	if err != nil || string(b) != "remote bytes" {
		t.Errorf("fetched content %q, %v", b, err)
	}
	// A local path that is not there fails at once, saying what is.
	_, err = steps.Fetch(ctx, env, "local:a/bb.zip", "in")
	if want := `(did you mean "b.zip"?)`; err == nil || !strings.HasPrefix(err.Error(), "local:a/bb.zip: ") || !strings.HasSuffix(err.Error(), want) {
		t.Errorf("Fetch of a missing local file: %v, want an error ending in %s", err, want)
	}
}

// TestLocalOutput: a path a step made is named relative to the local
// host's directory when inside it, and LocalPath reads it back; anything
// else stays as it is.
func TestLocalOutput(t *testing.T) {
	ctx := context.Background()
	base := t.TempDir()
	for _, tc := range []struct {
		name string
		root string // the local host's root ("": the plan's directory)
		p    string
		want string
	}{
		{"inside", "", filepath.Join(base, "work/m/a#1.zip"), "work/m/a#1.zip"},
		{"the directory itself", "", base, "."},
		{"outside", "", "/var/tmp/x.zip", "/var/tmp/x.zip"},
		{"sibling with the same prefix", "", base + "-other/x.zip", base + "-other/x.zip"},
		{"already relative", "", "rel/x.zip", "rel/x.zip"},
		{"inside the local host's root", filepath.Join(base, "r"), filepath.Join(base, "r/w/x.zip"), "w/x.zip"},
		{"outside the local host's root", filepath.Join(base, "r"), filepath.Join(base, "w/x.zip"), filepath.Join(base, "w/x.zip")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inv := map[string]hosts.Spec{}
			if tc.root != "" {
				inv[hosts.LocalName] = hosts.Spec{Root: tc.root}
			}
			pool := hosts.NewPool(inv, hosts.PoolOptions{BaseDir: base})
			t.Cleanup(func() { pool.Close() })
			env := &steps.Env{StepID: "s1", BaseDir: base, Hosts: pool}
			got := steps.LocalOutput(ctx, env, tc.p)
			if got != tc.want {
				t.Fatalf("LocalOutput(%s) = %q, want %q", tc.p, got, tc.want)
			}
			if filepath.IsAbs(tc.p) {
				if back, err := steps.LocalPath(ctx, env, got); err != nil || back != filepath.Clean(tc.p) {
					t.Errorf("LocalPath(%q) = %q, %v; want %s", got, back, err, tc.p)
				}
			}
		})
	}
}

// TestStepDir: a step's work directory is one path element under
// WorkDir, whatever its batch item key holds, and two ids never share one.
func TestStepDir(t *testing.T) {
	work := filepath.Join(t.TempDir(), "work")
	for _, tc := range []struct{ id, want string }{
		{"fetch", "fetch"},
		{"fetch[guest-9999]", "fetch[guest-9999]"},
		{"s[../../x]", "s[..%2F..%2Fx]"},
		{`s[a\b]`, "s[a%5Cb]"},
		{"s[a/b]", "s[a%2Fb]"},
		{"s[a%2Fb]", "s[a%252Fb]"},
		{"s[..]", "s[..]"},
	} {
		env := &steps.Env{StepID: tc.id, WorkDir: work}
		got := env.StepDir("stage")
		if want := filepath.Join(work, tc.want, "stage"); got != want {
			t.Errorf("StepDir of %q = %s, want %s", tc.id, got, want)
		}
		if rel, err := filepath.Rel(work, got); err != nil || strings.HasPrefix(rel, "..") {
			t.Errorf("StepDir of %q = %s, outside %s", tc.id, got, work)
		}
	}
}

package hosts_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/planrun/planrun/hosts"
	"github.com/planrun/planrun/hosts/hoststest"
)

func TestLocalConformance(t *testing.T) {
	hoststest.Run(t, func(t *testing.T) hosts.Host {
		return hosts.NewLocal("local", t.TempDir())
	})
}

func TestPoolLocalRoots(t *testing.T) {
	base := t.TempDir()
	p := hosts.NewPool(map[string]hosts.Spec{"site-a": {Root: "a"}, "site-b": {Root: filepath.Join(base, "b")}}, hosts.PoolOptions{BaseDir: base})
	defer p.Close()
	ctx := context.Background()
	for name, want := range map[string]string{"local": base, "site-a": filepath.Join(base, "a"), "site-b": filepath.Join(base, "b")} {
		h, err := p.Host(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if got := h.(*hosts.Local).Root(); got != want {
			t.Errorf("%s root = %q, want %q", name, got, want)
		}
		if err := h.MkdirAll(ctx, ".", 0o755); err != nil {
			t.Fatal(err)
		}
		w, err := h.Create(ctx, "f", 0o644)
		if err != nil {
			t.Fatal(err)
		}
		w.Close()
		if _, err := os.Stat(filepath.Join(want, "f")); err != nil {
			t.Errorf("%s: relative path did not resolve under its root: %v", name, err)
		}
	}
	if _, err := p.Host(ctx, "nope"); err == nil {
		t.Error("unknown host: no error")
	}
	if _, ok := p.Spec("local"); !ok {
		t.Error(`Spec("local") missing`)
	}
}

func TestPoolJumpCycle(t *testing.T) {
	p := hosts.NewPool(map[string]hosts.Spec{
		"a":    {SSH: "u@a", Jump: "b"},
		"b":    {SSH: "u@b", Jump: "a"},
		"c":    {SSH: "u@c", Jump: "site"},
		"site": {Root: "x"},
	}, hosts.PoolOptions{})
	defer p.Close()
	_, err := p.Host(context.Background(), "a")
	if err == nil || !strings.Contains(err.Error(), "jump hosts form a cycle: a -> b -> a") {
		t.Errorf("cycle: %v", err)
	}
	_, err = p.Host(context.Background(), "c")
	if err == nil || !strings.Contains(err.Error(), `jump host "site" is not an SSH host`) {
		t.Errorf("local jump: %v", err)
	}
}

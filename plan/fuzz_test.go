package plan

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/planrun/planrun/plan/plantest"
)

// FuzzLoad checks Load never panics and either returns a plan or
// positioned problems.
func FuzzLoad(f *testing.F) {
	for _, seed := range []string{
		"version: 1\nsteps:\n  - {id: a, kind: echo, with: {message: \"${{ vars.x }}\"}}\n",
		batchHead + "    for_each: {items: [{name: a, n: 1}], key: name}" + batchTail,
		"version: 1\nx-a: &a {count: 1}\nsteps:\n  - {id: a, kind: echo, needs: [a], with: {<<: *a}}\n",
		"version: 1\nhosts: {h: {ssh: u@h}}\nsteps:\n  - {id: a, kind: xfer, with: {from: \"h:/x\", to: \"${{ env.TOKEN }}\"}}\n",
		"steps: [[]]\n",
		"version: 1\nsteps:\n  - batch: b\n    for_each: [1, {a: 2}, [3]]\n    steps: [{id: s, kind: echo, with: {count: \"${{ item.value }}\"}}]\n",
	} {
		f.Add(seed)
	}
	reg := plantest.Registry()
	f.Fuzz(func(t *testing.T, body string) {
		dir := t.TempDir()
		path := filepath.Join(dir, "plan.yaml")
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		p, err := Load([]string{path}, Options{Registry: reg, Getenv: getenv})
		if err == nil {
			if p == nil || len(p.Steps) == 0 || p.Hash == "" {
				t.Fatalf("Load returned %v without an error", p)
			}
			return
		}
		es, ok := err.(Errors)
		if !ok || len(es) == 0 {
			t.Fatalf("error %T %v is not a non-empty Errors", err, err)
		}
	})
}

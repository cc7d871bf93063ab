//go:build unix

package checkpoint_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/planrun/planrun/runner/checkpoint"
	"github.com/planrun/planrun/runner/checkpoint/storetest"
)

// withUmask runs f under the usual umask 022 (so that a mode the store
// asks for shows as it is, not as a stricter umask makes it).
func withUmask(f func()) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	f()
}

// fill makes run r1 in the state directory dir with everything a run
// writes: lock, format, plan, events, a log and the work directory.
func fill(t *testing.T, dir, id string) {
	t.Helper()
	ctx := context.Background()
	s, err := checkpoint.OpenFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.Lock(ctx, checkpoint.Holder{PID: 1, Host: "box"})
	if err != nil {
		t.Fatal(err)
	}
	defer u.Unlock()
	r, err := s.CreateRun(ctx, id, storetest.Plan())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	w := r.Log("a", 1)
	if _, err := w.Write([]byte("out\n")); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if _, err := s.WorkDir(id); err != nil {
		t.Fatal(err)
	}
}

// modes is the permission bits of every entry under dir, by relative path.
func modes(t *testing.T, dir string) map[string]fs.FileMode {
	t.Helper()
	m := map[string]fs.FileMode{}
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		m[filepath.ToSlash(rel)] = fi.Mode().Perm()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestFileStorePermissions: what a run keeps (outputs, what commands
// printed) is readable by the user alone; directories the store did not
// make keep their modes.
func TestFileStorePermissions(t *testing.T) {
	withUmask(func() {
		t.Run("new state", func(t *testing.T) {
			parent := filepath.Join(t.TempDir(), "ci")
			if err := os.Mkdir(parent, 0o755); err != nil {
				t.Fatal(err)
			}
			state := filepath.Join(parent, "cache", "state") // cache is missing
			fill(t, state, "r1")
			want := map[string]fs.FileMode{
				".": 0o700, "format": 0o600, "lock": 0o600, "runs": 0o700,
				"runs/r1": 0o700, "runs/r1/plan.json": 0o600, "runs/r1/events.jsonl": 0o600,
				"runs/r1/logs": 0o700, "runs/r1/logs/a.1.log": 0o600, "runs/r1/work": 0o700,
			}
			if diff := cmp.Diff(want, modes(t, state)); diff != "" {
				t.Errorf("modes (-want +got):\n%s", diff)
			}
			if got := modes(t, parent)["."]; got != 0o755 {
				t.Errorf("the user's directory %s is %o now, want 0755", parent, got)
			}
			if got := modes(t, filepath.Dir(state))["."]; got != 0o755 {
				t.Errorf("%s, made above the state directory, is %o, want 0755", filepath.Dir(state), got)
			}
		})
		t.Run("state of an earlier planrun", func(t *testing.T) {
			// What an earlier planrun wrote keeps its modes; a new run in
			// it is the user's alone.
			state := filepath.Join(t.TempDir(), "state")
			for _, d := range []string{state, filepath.Join(state, "runs"), filepath.Join(state, "runs", "r0")} {
				if err := os.Mkdir(d, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			for _, f := range []string{"format", "lock", "runs/r0/events.jsonl"} {
				if err := os.WriteFile(filepath.Join(state, f), []byte("1\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			fill(t, state, "r1")
			m := modes(t, state)
			for p, want := range map[string]fs.FileMode{
				".": 0o755, "runs": 0o755, "format": 0o644, "lock": 0o644, "runs/r0": 0o755, "runs/r0/events.jsonl": 0o644,
				"runs/r1": 0o700, "runs/r1/events.jsonl": 0o600, "runs/r1/logs": 0o700, "runs/r1/logs/a.1.log": 0o600, "runs/r1/work": 0o700,
			} {
				if m[p] != want {
					t.Errorf("%s is %o, want %o", p, m[p], want)
				}
			}
		})
	})
}

package checkpoint_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/planrun/planrun/runner/checkpoint"
)

// TestFileStoreLinks replaces an entry of the state directory with a
// symbolic link to a copy of it outside (as a crafted state directory
// can): planrun refuses to use it, and the copy is left as it was.
func TestFileStoreLinks(t *testing.T) {
	ctx := context.Background()
	tests := map[string]struct {
		entry string // in the state directory
		op    func(s *checkpoint.FileStore) error
	}{
		"lock": {"lock", func(s *checkpoint.FileStore) error {
			u, err := s.Lock(ctx, checkpoint.CurrentHolder("planrun resume"))
			if err == nil {
				u.Unlock()
			}
			return err
		}},
		"lock, unlock": {"lock", func(s *checkpoint.FileStore) error { _, _, err := s.BreakLock(ctx); return err }},
		"format":       {"format", func(*checkpoint.FileStore) error { return nil }}, // OpenFile
		"plan":         {"runs/r1/plan.json", func(s *checkpoint.FileStore) error { _, err := s.LoadRun(ctx, "r1"); return err }},
		"events, load": {"runs/r1/events.jsonl", func(s *checkpoint.FileStore) error { _, err := s.LoadRun(ctx, "r1"); return err }},
		"events, open": {"runs/r1/events.jsonl", func(s *checkpoint.FileStore) error {
			r, err := s.OpenRun(ctx, "r1")
			if err == nil {
				r.Close()
			}
			return err
		}},
		"log, read": {"runs/r1/logs/a.1.log", func(s *checkpoint.FileStore) error { _, err := s.ReadLog(ctx, "r1", "a", 1); return err }},
		"log, write": {"runs/r1/logs/a.1.log", func(s *checkpoint.FileStore) error {
			r, err := s.OpenRun(ctx, "r1")
			if err != nil {
				return err
			}
			defer r.Close()
			w := r.Log("a", 1)
			_, err = w.Write([]byte("attempt 1 again\n"))
			w.Close()
			return err
		}},
		"logs, open": {"runs/r1/logs", func(s *checkpoint.FileStore) error { _, err := s.OpenRun(ctx, "r1"); return err }},
		"logs, read": {"runs/r1/logs", func(s *checkpoint.FileStore) error { _, err := s.ReadLog(ctx, "r1", "a", 1); return err }},
		"run":        {"runs/r1", func(s *checkpoint.FileStore) error { _, err := s.LoadRun(ctx, "r1"); return err }},
		"runs, load": {"runs", func(s *checkpoint.FileStore) error { _, err := s.LoadRun(ctx, "r1"); return err }},
		"runs, lock": {"runs", func(s *checkpoint.FileStore) error { _, err := s.Lock(ctx, checkpoint.Holder{PID: 1}); return err }},
		"work":       {"runs/r1/work", func(s *checkpoint.FileStore) error { _, err := s.WorkDir("r1"); return err }},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			dir, _ := newRun(t)
			s, err := checkpoint.OpenFile(dir)
			if err != nil {
				t.Fatal(err)
			}
			r, err := s.OpenRun(ctx, "r1")
			if err != nil {
				t.Fatal(err)
			}
			w := r.Log("a", 1)
			w.Write([]byte("attempt 1\n"))
			w.Close()
			r.Close()
			if _, err := s.WorkDir("r1"); err != nil {
				t.Fatal(err)
			}
			u, err := s.Lock(ctx, checkpoint.Holder{PID: 1, Host: "box"})
			if err != nil {
				t.Fatal(err)
			}
			u.Unlock()

			entry := filepath.Join(dir, tc.entry)
			outside := filepath.Join(t.TempDir(), "outside")
			if err := os.Rename(entry, outside); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(outside, entry); err != nil {
				t.Fatal(err)
			}
			before := snapshot(t, outside)

			s, err = checkpoint.OpenFile(dir)
			if err == nil {
				err = tc.op(s)
			}
			var ee *checkpoint.EntryError
			if !errors.As(err, &ee) || ee.Path != entry {
				t.Fatalf("err = %v, want *EntryError for %s", err, entry)
			}
			if want := entry + " is a symbolic link: planrun does not follow links inside a state directory"; !strings.Contains(err.Error(), want) {
				t.Errorf("err = %v, want %q", err, want)
			}
			if after := snapshot(t, outside); after != before {
				t.Errorf("%s changed through the link:\nbefore %q\nafter  %q", outside, before, after)
			}
		})
	}
}

// snapshot is the names and contents of the files under path.
func snapshot(t *testing.T, path string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.Walk(path, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		b.WriteString(p + "\n")
		if fi.Mode().IsRegular() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			b.Write(data)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

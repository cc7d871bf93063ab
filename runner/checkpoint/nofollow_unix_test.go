//go:build unix

package checkpoint_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/planrun/planrun/runner/checkpoint"
)

// TestFileStoreFifo: a named pipe in the place of a state file is refused
// at once (opening it to read would wait for a writer for ever).
func TestFileStoreFifo(t *testing.T) {
	dir, events := newRun(t)
	if err := os.Remove(events); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(events, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	s, _ := checkpoint.OpenFile(dir)
	_, err := s.LoadRun(context.Background(), "r1")
	var ee *checkpoint.EntryError
	if !errors.As(err, &ee) || ee.Path != events {
		t.Fatalf("err = %v, want *EntryError for %s", err, events)
	}
	if want := "load run r1: " + filepath.Join(dir, "runs", "r1", "events.jsonl") + " is not a regular file (a named pipe)"; err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
}

package checkpoint_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/planrun/planrun/runner/checkpoint"
	"github.com/planrun/planrun/runner/checkpoint/storetest"
)

// newRun makes a file store with run r1 holding two events and returns
// the store and the events file.
func newRun(t *testing.T) (string, string) {
	t.Helper()
	dir := t.TempDir()
	s, err := checkpoint.OpenFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	r, err := s.CreateRun(ctx, "r1", storetest.Plan())
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Append(ctx, []checkpoint.Event{{Type: checkpoint.StepStarted, Step: "a", Attempt: 1}, {Type: checkpoint.StepSucceeded, Step: "a", Attempt: 1}}); err != nil {
		t.Fatal(err)
	}
	r.Close()
	return dir, filepath.Join(dir, "runs", "r1", "events.jsonl")
}

func appendRaw(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
}

func TestFileStoreTornTail(t *testing.T) {
	for name, tail := range map[string]string{
		"no newline":        `{"version":1,"seq":3,"type":"step_sta`,
		"garbage last line": "\x00\x00\x00\n",
	} {
		t.Run(name, func(t *testing.T) {
			dir, path := newRun(t)
			appendRaw(t, path, tail)
			s, _ := checkpoint.OpenFile(dir)
			ctx := context.Background()
			d, err := s.LoadRun(ctx, "r1")
			if err != nil {
				t.Fatalf("a torn last line is fatal: %v", err)
			}
			if len(d.Events) != 2 {
				t.Fatalf("got %d events, want 2", len(d.Events))
			}
			// Reopening cuts the torn tail; the next append is whole.
			r, err := s.OpenRun(ctx, "r1")
			if err != nil {
				t.Fatal(err)
			}
			e := []checkpoint.Event{{Type: checkpoint.StepStarted, Step: "b", Attempt: 1}}
			if err := r.Append(ctx, e); err != nil {
				t.Fatal(err)
			}
			r.Close()
			if e[0].Seq != 3 {
				t.Errorf("seq = %d, want 3", e[0].Seq)
			}
			d, err = s.LoadRun(ctx, "r1")
			if err != nil {
				t.Fatal(err)
			}
			if len(d.Events) != 3 || d.Events[2].Step != "b" {
				t.Errorf("events after reopen: %+v", d.Events)
			}
		})
	}
}

func TestFileStoreCorruptMiddle(t *testing.T) {
	dir, path := newRun(t)
	appendRaw(t, path, "{not json}\n"+`{"version":1,"seq":4,"type":"step_started","step":"b"}`+"\n")
	s, _ := checkpoint.OpenFile(dir)
	for name, load := range map[string]func() error{
		"load": func() error { _, err := s.LoadRun(context.Background(), "r1"); return err },
	} {
		t.Run(name, func(t *testing.T) {
			err := load()
			var ce *checkpoint.CorruptError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want *CorruptError", err)
			}
			if ce.Line != 3 || !strings.Contains(err.Error(), path+":3:") {
				t.Errorf("error does not name %s:3: %v", path, err)
			}
		})
	}
}

func TestFileStoreChangedPlan(t *testing.T) {
	dir, _ := newRun(t)
	path := filepath.Join(dir, "runs", "r1", "plan.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	changed := bytes.Replace(b, []byte(`"attempts":3`), []byte(`"attempts":1`), 1)
	if bytes.Equal(changed, b) {
		t.Fatalf("nothing to change in %s", b)
	}
	if err := os.WriteFile(path, changed, 0o600); err != nil {
		t.Fatal(err)
	}
	s, _ := checkpoint.OpenFile(dir)
	_, err = s.LoadRun(context.Background(), "r1")
	var pe *checkpoint.CorruptPlanError
	if !errors.As(err, &pe) || pe.File != path {
		t.Fatalf("err = %v, want *CorruptPlanError for %s", err, path)
	}
	if want := path + ": corrupted plan: its content does not match its hash"; !strings.Contains(err.Error(), want) {
		t.Errorf("err = %v, want %q", err, want)
	}
}

func TestFileStoreNewerFormat(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "format"), []byte("2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := checkpoint.OpenFile(dir)
	var fe *checkpoint.FormatError
	if !errors.As(err, &fe) || fe.Found != 2 {
		t.Fatalf("err = %v, want *FormatError with 2", err)
	}
}

func TestFileStoreOpenCreatesNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	s, err := checkpoint.OpenFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	if ids, err := s.Runs(context.Background()); err != nil || len(ids) != 0 {
		t.Fatalf("Runs = %v, %v", ids, err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("opening a store created %s", dir)
	}
}

func TestFileStoreOnAFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "state")
	if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := checkpoint.OpenFile(p)
	if want := "open state " + p + ": not a directory (--state names the directory runs are kept in)"; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
}

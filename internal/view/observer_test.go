package view

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/planrun/planrun/runner/checkpoint"
)

func TestForWriter(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tests := map[string]struct {
		w      any
		format string
		want   string // type name
	}{
		"text to buffer":    {&bytes.Buffer{}, "text", "*view.Lines"},
		"default to buffer": {&bytes.Buffer{}, "", "*view.Lines"},
		"text to a file":    {f, "text", "*view.Lines"},
		"json to buffer":    {&bytes.Buffer{}, "json", "*view.JSON"},
		"json to a file":    {f, "json", "*view.JSON"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			out, err := ForWriter(tc.w.(interface{ Write([]byte) (int, error) }), tc.format, LiveOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer out.Close()
			if got := typeName(out); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
	if _, err := ForWriter(&bytes.Buffer{}, "yaml", LiveOptions{}); err == nil || !strings.Contains(err.Error(), "text or json") {
		t.Errorf("unknown format: got %v", err)
	}
}

func typeName(v any) string {
	switch v.(type) {
	case *Live:
		return "*view.Live"
	case *Lines:
		return "*view.Lines"
	case *JSON:
		return "*view.JSON"
	}
	return "?"
}

type recorder struct {
	calls []string
	err   error
}

func (r *recorder) Event(e checkpoint.Event)          { r.calls = append(r.calls, "event "+e.Type) }
func (r *recorder) Progress(s string, d, total int64) { r.calls = append(r.calls, "progress "+s) }
func (r *recorder) Close() error                      { r.calls = append(r.calls, "close"); return r.err }

type noClose struct{ n int }

func (n *noClose) Event(checkpoint.Event)        { n.n++ }
func (n *noClose) Progress(string, int64, int64) { n.n++ }

func TestMulti(t *testing.T) {
	a, b := &recorder{}, &recorder{err: errors.New("disk full")}
	c := &noClose{}
	m := Multi(a, c, b)
	m.Event(checkpoint.Event{Type: checkpoint.RunStarted})
	m.Progress("x", 1, 2)
	if err := m.Close(); err == nil || err.Error() != "disk full" {
		t.Errorf("Close = %v, want the first error", err)
	}
	want := []string{"event run_started", "progress x", "close"}
	for _, r := range []*recorder{a, b} {
		if diff := cmp.Diff(want, r.calls); diff != "" {
			t.Errorf("calls mismatch (-want +got):\n%s", diff)
		}
	}
	if c.n != 2 {
		t.Errorf("observer without Close got %d calls, want 2", c.n)
	}
}

func TestColorAllowed(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	tests := map[string]struct {
		env  map[string]string
		want bool
	}{
		"plain terminal": {map[string]string{"TERM": "xterm"}, true},
		"NO_COLOR":       {map[string]string{"TERM": "xterm", "NO_COLOR": "1"}, false},
		"dumb":           {map[string]string{"TERM": "dumb"}, false},
	}
	for name, tc := range tests {
		if got := ColorAllowed(env(tc.env)); got != tc.want {
			t.Errorf("%s: got %v, want %v", name, got, tc.want)
		}
	}
}

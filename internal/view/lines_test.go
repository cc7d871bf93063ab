package view

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/planrun/planrun/runner/checkpoint"
)

// fakeClock is a settable clock for the progress throttles.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func TestLinesGolden(t *testing.T) {
	var buf bytes.Buffer
	clock := &fakeClock{t: t0}
	l := NewLines(&buf)
	l.now = clock.now
	events := runEvents()
	for i, e := range events {
		l.Event(e)
		if i == 1 { // copy-guest running: progress at 1s (throttled away) and 11s (printed)
			clock.t = t0.Add(time.Second)
			l.Progress("copy-guest", 1<<20, 3<<20)
			clock.t = t0.Add(11 * time.Second)
			l.Progress("copy-guest", 2<<20, 3<<20)
			l.Progress("copy-guest", 2<<20+1, 3<<20) // same instant: throttled
			l.Progress("not-running", 1, 2)          // unknown step: ignored
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	golden(t, "lines.golden", buf.Bytes())

	// One line per state change (plus one progress line) before the summary.
	body, _, _ := strings.Cut(buf.String(), "\n\n")
	if got, want := strings.Count(body, "\n")+1, len(events)+1; got != want {
		t.Errorf("got %d lines, want %d", got, want)
	}
	line := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ [a-z_]+ \S`)
	for _, l := range strings.Split(body, "\n") {
		if !line.MatchString(l) {
			t.Errorf("line %q does not match the stable format", l)
		}
	}
}

func TestJSONGolden(t *testing.T) {
	var buf bytes.Buffer
	clock := &fakeClock{t: t0}
	j := NewJSON(&buf)
	j.now = clock.now
	events := runEvents()
	for i, e := range events {
		j.Event(e)
		if i == 1 {
			clock.t = t0.Add(500 * time.Millisecond)
			j.Progress("copy-guest", 1<<20, 3<<20) // within 1s of the start: dropped
			clock.t = t0.Add(1100 * time.Millisecond)
			j.Progress("copy-guest", 2<<20, 3<<20)
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	golden(t, "events.golden.jsonl", buf.Bytes())

	// Every line is a JSON object with version 1; events round-trip.
	var got []checkpoint.Event
	progress := 0
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var head struct {
			Version int    `json:"version"`
			Type    string `json:"type"`
		}
		if err := json.Unmarshal([]byte(line), &head); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		if head.Version != checkpoint.EventVersion {
			t.Errorf("line %q: version %d", line, head.Version)
		}
		if head.Type == ProgressType {
			progress++
			continue
		}
		var e checkpoint.Event
		json.Unmarshal([]byte(line), &e)
		got = append(got, e)
	}
	if progress != 1 {
		t.Errorf("got %d progress objects, want 1", progress)
	}
	if len(got) != len(events) {
		t.Fatalf("got %d events, want %d", len(got), len(events))
	}
	for i := range got {
		if got[i].Seq != events[i].Seq || got[i].Type != events[i].Type || got[i].Step != events[i].Step || !got[i].Time.Equal(events[i].Time) {
			t.Errorf("event %d = %+v, want %+v", i, got[i], events[i])
		}
	}
}

func TestJSONSetsVersion(t *testing.T) {
	var buf bytes.Buffer
	NewJSON(&buf).Event(checkpoint.Event{Type: checkpoint.RunStarted, Run: "r"})
	if !strings.HasPrefix(buf.String(), `{"version":1,`) {
		t.Errorf("got %s", buf.String())
	}
}

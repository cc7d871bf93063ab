package view

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/planrun/planrun/runner/checkpoint"
)

// syncBuffer is a bytes.Buffer safe for the render goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor polls until the output matches re or the deadline passes.
func waitFor(t *testing.T, buf *syncBuffer, re *regexp.Regexp) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !re.MatchString(buf.String()) {
		if time.Now().After(deadline) {
			out := buf.String()
			t.Fatalf("output never matched %s; its end:\n%q", re, out[max(0, len(out)-2000):])
		}
		time.Sleep(5 * time.Millisecond)
	}
}

var sgr = regexp.MustCompile(`\x1b\[[0-9;]*m`)

func step(typ, id, kind, host string, attempt int) checkpoint.Event {
	return checkpoint.Event{Type: typ, Step: id, Kind: kind, Host: host, Attempt: attempt, Time: time.Now()}
}

func TestLiveRendersRunningStepsAndBar(t *testing.T) {
	t.Setenv("NO_COLOR", "1")
	buf := &syncBuffer{}
	l := NewLive(buf, LiveOptions{Total: 4, Refresh: 10 * time.Millisecond, ShowAfter: 30 * time.Millisecond})
	l.Event(checkpoint.Event{Type: checkpoint.RunStarted, Run: "r1", Time: time.Now()})

	// An instant step: finished line only, never a running line.
	l.Event(step(checkpoint.StepStarted, "instant", "exec", "local", 1))
	l.Event(step(checkpoint.StepSucceeded, "instant", "exec", "local", 1))

	// A transfer with byte progress shows a bar at once.
	l.Event(step(checkpoint.StepStarted, "copy-guest", "transfer", "old-guest", 1))
	l.Progress("copy-guest", 3<<20, 10<<20)
	waitFor(t, buf, regexp.MustCompile(`copy-guest \(transfer, host old-guest\)\s+attempt 1 .*\[=+>-+\] 3\.0 MiB / 10\.0 MiB 30%`))

	// A slow step without progress gets a line after ShowAfter.
	l.Event(step(checkpoint.StepStarted, "wait-flow", "import", "new-guest", 2))
	waitFor(t, buf, regexp.MustCompile(`wait-flow \(import, host new-guest\)\s+attempt 2 `))
	l.Progress("copy-guest", 10<<20, 10<<20)
	waitFor(t, buf, regexp.MustCompile(`10\.0 MiB / 10\.0 MiB 100%`))
	waitFor(t, buf, regexp.MustCompile(`1/4 steps done · 2 running`))

	l.Event(step(checkpoint.StepSucceeded, "copy-guest", "transfer", "old-guest", 1))
	e := step(checkpoint.StepFailed, "wait-flow", "import", "new-guest", 2)
	e.Error = "import model: job 42 failed"
	l.Event(e)
	s := step(checkpoint.StepSkipped, "verify", "exec", "", 0)
	s.Reason = "upstream wait-flow failed"
	l.Event(s)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"✓ instant (exec, host local) ",
		"✓ copy-guest (transfer, host old-guest) ",
		"✗ wait-flow (import, host new-guest) after 2 attempts ",
		": import model: job 42 failed\n",
		"– verify (exec) skipped: upstream wait-flow failed\n",
		"2 steps ok, 1 failed, 1 skipped\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if regexp.MustCompile(`[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] instant`).MatchString(out) {
		t.Errorf("an instant step got a running line:\n%s", out)
	}
	if sgr.MatchString(out) {
		t.Errorf("NO_COLOR set but output has colour codes: %q", out)
	}
	// The last frame is cleared before the summary: nothing after the
	// final cursor-up/erase but finished lines and the summary.
	last := out[strings.LastIndex(out, "\x1b[J")+len("\x1b[J"):]
	if strings.Contains(last, "running") {
		t.Errorf("running lines left on screen after Close:\n%q", last)
	}
	// Events after Close are ignored, not a panic.
	l.Event(step(checkpoint.StepStarted, "late", "exec", "", 1))
	l.Progress("late", 1, 2)
}

func TestLiveColours(t *testing.T) {
	tests := map[string]struct {
		noColor, term string
		opt           bool
		want          bool
	}{
		"allowed":         {"", "xterm-256color", false, true},
		"NO_COLOR":        {"1", "xterm-256color", false, false},
		"TERM=dumb":       {"", "dumb", false, false},
		"option NoColor":  {"", "xterm", true, false},
		"NO_COLOR=0 too":  {"0", "xterm", false, false},
		"empty NO_COLOR ": {"", "", false, true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Setenv("NO_COLOR", tc.noColor)
			t.Setenv("TERM", tc.term)
			buf := &syncBuffer{}
			l := NewLive(buf, LiveOptions{NoColor: tc.opt, Refresh: 5 * time.Millisecond})
			l.Event(step(checkpoint.StepStarted, "a", "exec", "", 1))
			l.Event(step(checkpoint.StepSucceeded, "a", "exec", "", 1))
			l.Close()
			if got := sgr.MatchString(buf.String()); got != tc.want {
				t.Errorf("colour codes present = %v, want %v: %q", got, tc.want, buf.String())
			}
		})
	}
}

// TestLiveConcurrent hammers Live from many goroutines (run with -race).
func TestLiveConcurrent(t *testing.T) {
	buf := &syncBuffer{}
	l := NewLive(buf, LiveOptions{Refresh: 2 * time.Millisecond, ShowAfter: time.Millisecond, NoColor: true})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				id := fmt.Sprintf("g%d-s%d", g, i)
				l.Event(step(checkpoint.StepStarted, id, "transfer", "h", 1))
				for n := range int64(200) {
					l.Progress(id, n, 200)
				}
				l.Event(step(checkpoint.StepSucceeded, id, "transfer", "h", 1))
			}
		}()
	}
	wg.Wait()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(buf.String(), "✓ "); got != 400 {
		t.Errorf("got %d finished lines, want 400", got)
	}
	if !strings.Contains(buf.String(), "400 steps ok, 0 failed, 0 skipped") {
		t.Errorf("summary missing:\n%s", buf.String()[max(0, len(buf.String())-300):])
	}
}

// TestProgressDoesNotAllocate: the runner may report progress millions of
// times; the hot path must not allocate.
func TestProgressDoesNotAllocate(t *testing.T) {
	l := NewLive(&syncBuffer{}, LiveOptions{NoColor: true})
	defer l.Close()
	lines := NewLines(&bytes.Buffer{})
	j := NewJSON(&bytes.Buffer{})
	for _, o := range []Observer{l, lines, j} {
		o.Event(step(checkpoint.StepStarted, "copy", "transfer", "h", 1))
	}
	id := "copy"
	for name, o := range map[string]Observer{"live": l, "lines": lines, "json": j} {
		n := int64(0)
		if a := testing.AllocsPerRun(1000, func() { n++; o.Progress(id, n, 1<<30) }); a != 0 {
			t.Errorf("%s: Progress allocates %v times per call", name, a)
		}
	}
}

func TestLiveCapsRunningLinesAndRetries(t *testing.T) {
	buf := &syncBuffer{}
	l := NewLive(buf, LiveOptions{NoColor: true, MaxRunning: 3, Refresh: 5 * time.Millisecond, ShowAfter: time.Millisecond})
	for i := range 10 {
		l.Event(step(checkpoint.StepStarted, fmt.Sprintf("s%d", i), "exec", "", 1))
	}
	waitFor(t, buf, regexp.MustCompile(`0 steps done · 10 running \(3 shown\)`))
	// A retry while the step's line is on screen updates its attempt.
	f := step(checkpoint.AttemptFailed, "s0", "exec", "", 1)
	f.Error = "exit status 1"
	l.Event(f)
	l.Event(step(checkpoint.StepStarted, "s0", "exec", "", 2))
	waitFor(t, buf, regexp.MustCompile(`s0 \(exec\)\s+attempt 2 `))
	l.Close()
	if !strings.Contains(buf.String(), "↻ s0 (exec) attempt 1 failed, retrying: exit status 1\n") {
		t.Errorf("no retry line:\n%s", buf.String())
	}
	if got := regexp.MustCompile(`(?m)^. s[3-9] \(exec\)\s+attempt`).FindString(buf.String()); got != "" {
		t.Errorf("more than MaxRunning lines shown: %q", got)
	}
}

// failingWriter fails every write after the first n.
type failingWriter struct {
	mu sync.Mutex
	n  int
}

func (f *failingWriter) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n <= 0 {
		return 0, fmt.Errorf("write /dev/pts/3: input/output error")
	}
	f.n--
	return len(p), nil
}

// TestLiveTerminalGone: when the terminal fails (ssh disconnect), the
// run must not hang in the view; Close reports the error.
func TestLiveTerminalGone(t *testing.T) {
	l := NewLive(&failingWriter{n: 2}, LiveOptions{NoColor: true, Refresh: 2 * time.Millisecond, ShowAfter: time.Millisecond})
	for i := range 50 {
		id := fmt.Sprintf("s%d", i)
		l.Event(step(checkpoint.StepStarted, id, "exec", "", 1))
		l.Progress(id, 1, 2)
		time.Sleep(time.Millisecond)
		l.Event(step(checkpoint.StepSucceeded, id, "exec", "", 1))
	}
	done := make(chan error, 1)
	go func() { done <- l.Close() }()
	select {
	case err := <-done:
		if err == nil {
			t.Error("Close after write errors returned nil")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close hung after the terminal failed")
	}
}

func TestLiveOverallCountsItems(t *testing.T) {
	buf := &syncBuffer{}
	l := NewLive(buf, LiveOptions{NoColor: true, Total: 3, Refresh: 5 * time.Millisecond})
	item := func(typ, id, it string) checkpoint.Event {
		e := step(typ, id, "transfer", "h", 1)
		e.Batch, e.Item = "models", it
		return e
	}
	l.Event(item(checkpoint.StepStarted, "m1-ship", "m1"))
	l.Event(item(checkpoint.StepSucceeded, "m1-ship", "m1"))
	l.Event(item(checkpoint.StepStarted, "m2-ship", "m2"))
	f := item(checkpoint.StepFailed, "m2-ship", "m2")
	f.Error = "permission denied"
	l.Event(f)
	l.Event(item(checkpoint.StepStarted, "m3-ship", "m3"))
	waitFor(t, buf, regexp.MustCompile(`2/3 steps done · items 1/3 ok · 1 failed · 1 running`))
	l.Close()
	if !strings.Contains(buf.String(), "items: 1 ok, 1 failed, 1 unfinished") {
		t.Errorf("summary lacks the items line:\n%s", buf.String())
	}
}

package view

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/planrun/planrun/runner/checkpoint"
)

// TestMain lets the test binary double as a small program that drives the
// view chosen by ForWriter for its real stdout (see ptyDriver).
func TestMain(m *testing.M) {
	if os.Getenv("VIEW_PTY_DRIVER") != "" {
		os.Exit(ptyDriver())
	}
	os.Exit(m.Run())
}

// ptyDriver plays a small run against ForWriter(os.Stdout): an instant
// step, a transfer that reports byte progress for about a second, and a
// slow step without progress.
func ptyDriver() int {
	out, err := ForWriter(os.Stdout, "text", LiveOptions{Total: 3, Refresh: 20 * time.Millisecond, ShowAfter: 50 * time.Millisecond})
	if err != nil {
		os.Stderr.WriteString(err.Error())
		return 2
	}
	ev := func(typ, id, kind, host string) {
		out.Event(checkpoint.Event{Version: 1, Type: typ, Run: "r1", Step: id, Kind: kind, Host: host, Attempt: 1, Time: time.Now()})
	}
	ev(checkpoint.RunStarted, "", "", "")
	ev(checkpoint.StepStarted, "prepare", "exec", "local")
	ev(checkpoint.StepSucceeded, "prepare", "exec", "local")
	ev(checkpoint.StepStarted, "copy-guest", "transfer", "old-guest")
	ev(checkpoint.StepStarted, "wait-import", "import", "new-guest")
	const total = 8 << 20
	for done := int64(0); done <= total; done += total / 40 {
		out.Progress("copy-guest", done, total)
		time.Sleep(25 * time.Millisecond)
	}
	done := checkpoint.Event{Version: 1, Type: checkpoint.StepSucceeded, Run: "r1", Step: "copy-guest", Kind: "transfer",
		Host: "old-guest", Attempt: 1, Time: time.Now(), Outputs: map[string]any{"path": "work/guest", "bytes": total, "files": 3}}
	out.Event(done)
	ev(checkpoint.StepSucceeded, "wait-import", "import", "new-guest")
	ev(checkpoint.RunFinished, "", "", "")
	if err := out.Close(); err != nil {
		os.Stderr.WriteString(err.Error())
		return 1
	}
	return 0
}

// driver returns the command that runs ptyDriver with env added.
func driver(t *testing.T, env ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), "VIEW_PTY_DRIVER=1")
	cmd.Env = append(cmd.Env, env...)
	return cmd
}

// runInPty runs cmd with its stdout on a pseudo-terminal of 40×140 and
// returns all it wrote.
func runInPty(t *testing.T, cmd *exec.Cmd) string {
	return runInPtySized(t, cmd, &pty.Winsize{Rows: 40, Cols: 140})
}

// runInPtySized is runInPty with a given size; nil leaves the terminal
// unsized (0×0), as script(1) and some CI runners do.
func runInPtySized(t *testing.T, cmd *exec.Cmd, size *pty.Winsize) string {
	t.Helper()
	f, err := pty.StartWithSize(cmd, size)
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	defer f.Close()
	var buf bytes.Buffer
	_, err = io.Copy(&buf, f) // ends with EIO when the child closes the terminal
	var pe *os.PathError
	if err != nil && !(errors.As(err, &pe) && strings.Contains(err.Error(), "input/output error")) {
		t.Fatalf("read pty: %v", err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("driver: %v\n%s", err, buf.String())
	}
	return buf.String()
}

// screens replays terminal output the way the live view uses it (lines,
// cursor up, erase below) and returns the screen as it was just before
// each redraw, and at the end.
func screens(out string) []string {
	out = strings.ReplaceAll(out, "\r\n", "\n")
	cuu := regexp.MustCompile(`^\x1b\[(\d+)A`)
	var lines []string
	row := 0
	var shots []string
	snapshot := func() { shots = append(shots, strings.Join(lines, "\n")) }
	for i := 0; i < len(out); {
		switch {
		case strings.HasPrefix(out[i:], "\x1b[J"):
			lines = lines[:min(row, len(lines))]
			i += 3
		case cuu.MatchString(out[i:]):
			m := cuu.FindStringSubmatch(out[i:])
			snapshot()
			n, _ := strconv.Atoi(m[1])
			row = max(row-n, 0)
			i += len(m[0])
		case out[i] == '\n':
			row++
			i++
		case out[i] == '\r':
			i++
		default:
			for row >= len(lines) {
				lines = append(lines, "")
			}
			j := i + 1
			for j < len(out) && out[j] != '\n' && out[j] != '\x1b' && out[j] != '\r' {
				j++
			}
			lines[row] += out[i:j]
			i = j
		}
	}
	snapshot()
	return shots
}

func TestLiveInPseudoTerminal(t *testing.T) {
	for name, size := range map[string]*pty.Winsize{"40x140": {Rows: 40, Cols: 140}, "unsized": nil} {
		t.Run(name, func(t *testing.T) {
			out := runInPtySized(t, driver(t, "TERM=xterm-256color", "NO_COLOR="), size)
			checkLiveScreens(t, out)
		})
	}
}

func checkLiveScreens(t *testing.T, out string) {
	t.Helper()
	shots := screens(sgr.ReplaceAllString(out, ""))
	running := regexp.MustCompile(`(?m)^. copy-guest \(transfer, host old-guest\)\s+attempt 1 .*\[=*>?-*\] [\d.]+ MiB / 8\.0 MiB \d+%`)
	slow := regexp.MustCompile(`(?m)^. wait-import \(import, host new-guest\)\s+attempt 1 `)
	overall := regexp.MustCompile(`(?m)^\d/3 steps done · 2 running`)
	found := false
	for _, s := range shots {
		if running.MatchString(s) && slow.MatchString(s) && overall.MatchString(s) {
			found = true
			break
		}
	}
	if !found {
		t.Errorf("no screen shows both running steps, the transfer's bar and the overall line; screens:\n%s",
			strings.Join(shots, "\n----\n"))
	}
	final := shots[len(shots)-1]
	for _, want := range []string{"✓ prepare (exec, host local)", "✓ copy-guest (transfer, host old-guest)",
		"3 steps ok, 0 failed, 0 skipped", "copy-guest (transfer, host old-guest) → work/guest: 3 files, 8.0 MiB"} {
		if !strings.Contains(final, want) {
			t.Errorf("final screen lacks %q:\n%s", want, final)
		}
	}
	if strings.Contains(final, "running") {
		t.Errorf("final screen still shows running lines:\n%s", final)
	}
	if !sgr.MatchString(out) {
		t.Errorf("colours allowed but none used")
	}
}

func TestLiveInPseudoTerminalNoColor(t *testing.T) {
	out := runInPty(t, driver(t, "TERM=xterm-256color", "NO_COLOR=1"))
	if m := sgr.FindString(out); m != "" {
		t.Errorf("NO_COLOR=1 but output has colour code %q", m)
	}
	if !regexp.MustCompile(`\[=+>?-*\] [\d.]+ MiB / 8\.0 MiB`).MatchString(out) {
		t.Errorf("no progress bar without colours:\n%q", out)
	}
}

func TestPlainLinesWithoutTerminal(t *testing.T) {
	cmd := driver(t, "TERM=xterm-256color")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("driver: %v\n%s", err, stderr.String())
	}
	checkPlainLines(t, stdout.String())
}

// TestPlainLinesOnDumbTerminal: a terminal that cannot move its cursor
// gets plain lines too.
func TestPlainLinesOnDumbTerminal(t *testing.T) {
	out := runInPty(t, driver(t, "TERM=dumb"))
	checkPlainLines(t, strings.ReplaceAll(out, "\r\n", "\n"))
}

func checkPlainLines(t *testing.T, out string) {
	t.Helper()
	if strings.Contains(out, "\x1b") {
		t.Errorf("non-terminal output has escape codes: %q", out)
	}
	body, _, _ := strings.Cut(out, "\n\n")
	lines := strings.Split(body, "\n")
	if len(lines) != 8 {
		t.Errorf("got %d lines, want one per state change (8):\n%s", len(lines), out)
	}
	line := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ (run|step)_[a-z]+ `)
	for _, l := range lines {
		if !line.MatchString(l) {
			t.Errorf("line %q is not in the Lines format", l)
		}
	}
}

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/planrun/planrun/internal/testfs"
	"github.com/planrun/planrun/runner/checkpoint"
)

// TestStateDiskFull runs a plan whose state directory is on a file system
// too small for its events: the run stops saying the disk is full and how
// to go on, the state holds every event written before (whole lines), and
// once there is room, resume finishes the run. It needs a tmpfs of its
// own: root on Linux (as CI runs); it says so when it skips.
func TestStateDiskFull(t *testing.T) {
	mnt := testfs.Tmpfs(t, "disk-full test", "64k")
	bin, err := exec.LookPath("planrun")
	if err != nil {
		t.Fatalf("planrun (the test binary) is not on PATH: %v", err)
	}
	dir := t.TempDir()
	const n = 200
	var b strings.Builder
	b.WriteString("version: 1\nsteps:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - id: s%03d\n    kind: exec\n    with: {command: 'echo s%03d >> out.txt', idempotent: true}\n", i, i)
		if i > 0 {
			fmt.Fprintf(&b, "    needs: [s%03d]\n", i-1)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "plan.yaml"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(mnt, "state")
	run := func(args ...string) (string, int) {
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "NO_COLOR=1")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatal(err)
		}
		return stderr.String(), cmd.ProcessState.ExitCode()
	}

	stderr, code := run("apply", "plan.yaml", "--state", state)
	if code != exitStepFailed || !strings.Contains(stderr, "no space left on device") ||
		!strings.Contains(stderr, "the state directory's disk is full: every event recorded before this one is intact; free some space, then run `planrun resume --state "+state+"`") {
		t.Fatalf("apply on a full disk: exit %d, stderr:\n%s", code, stderr)
	}
	st, err := checkpoint.OpenFile(state)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	id, err := checkpoint.Latest(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	d, err := st.LoadRun(ctx, id)
	if err != nil {
		t.Fatalf("the state does not load after the disk filled: %v", err)
	}
	done := 0
	for _, s := range checkpoint.Fold(d.Events) {
		if s.Status == checkpoint.StatusSucceeded {
			done++
		}
	}
	if done == 0 || done == n {
		t.Fatalf("%d of %d steps recorded as succeeded; the disk should fill midway", done, n)
	}

	testfs.Remount(t, mnt, "size=4m")
	if stderr, code := run("resume", "--state", state); code != 0 {
		t.Fatalf("resume with room: exit %d, stderr:\n%s", code, stderr)
	}
	if stderr, _ := run("status", "--state", state); stderr != "" {
		t.Errorf("status: %s", stderr)
	}
	d, err = st.LoadRun(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	final := checkpoint.Fold(d.Events)
	if len(final) != n {
		t.Errorf("after resume, %d of %d steps have a state", len(final), n)
	}
	for id, s := range final {
		if s.Status != checkpoint.StatusSucceeded {
			t.Errorf("after resume, %s is %s", id, s.Status)
		}
	}
	out, err := os.ReadFile(filepath.Join(dir, "out.txt"))
	if err != nil {
		t.Fatal(err)
	}
	// Each step ran once, but for those whose success could not be
	// recorded (idempotent: run again).
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) < n || len(lines) > n+2 {
		t.Errorf("out.txt has %d lines for %d steps", len(lines), n)
	}
}

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/planrun/planrun/runner/checkpoint"
)

// crashPlan writes a plan of layers x width exec steps: each appends
// "<id> $CRASH_INV" to out.txt; each step after the first layer needs one
// to three steps of the layer before (fan-in). The steps of even columns
// are declared idempotent: their starts are not fsync'd before they run,
// and an unknown outcome re-runs them without --from; a kill -9 must
// still never lose what they recorded.
func crashPlan(t *testing.T, dir string, layers, width int, rng *rand.Rand) []string {
	var b strings.Builder
	b.WriteString("version: 1\nname: crash\nsteps:\n")
	var ids []string
	for l := range layers {
		for w := range width {
			id := fmt.Sprintf("s%02d-%02d", l, w)
			ids = append(ids, id)
			fmt.Fprintf(&b, "  - id: %s\n    kind: exec\n    with: {command: 'echo \"%s $CRASH_INV\" >> out.txt', idempotent: %v}\n", id, id, idempotentColumn(w))
			if l > 0 {
				needs := map[string]bool{}
				for range 1 + rng.IntN(3) {
					needs[fmt.Sprintf("s%02d-%02d", l-1, rng.IntN(width))] = true
				}
				var ns []string
				for n := range needs {
					ns = append(ns, n)
				}
				fmt.Fprintf(&b, "    needs: [%s]\n", strings.Join(ns, ", "))
			}
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "plan.yaml"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return ids
}

func idempotentColumn(w int) bool { return w%2 == 0 }

// TestCrashResume kills `planrun apply`/`resume` with SIGKILL at random
// moments and resumes until the plan is done, over at least 20 kill points.
// Every step recorded as succeeded must have run exactly once after its
// last recorded start, the state must load after every kill, and the final
// state must be complete.
func TestCrashResume(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: skipped with -short")
	}
	bin, err := exec.LookPath("planrun")
	if err != nil {
		t.Fatalf("planrun (the test binary) is not on PATH: %v", err)
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 42))
	kills, rounds := 0, 0
	deadline := time.Now().Add(45 * time.Second)
	for kills < 20 {
		if time.Now().After(deadline) {
			t.Fatalf("only %d kill points in %d rounds before the deadline", kills, rounds)
		}
		rounds++
		kills += crashRound(t, bin, rng)
	}
	t.Logf("%d kill points over %d rounds", kills, rounds)
}

// crashRound runs one plan to completion through random kills and checks
// it; it returns how many times the process was killed after it had
// recorded progress.
func crashRound(t *testing.T, bin string, rng *rand.Rand) int {
	dir := t.TempDir()
	ids := crashPlan(t, dir, 12, 20, rng)
	state := filepath.Join(dir, ".planrun")
	lastStart := map[string]int{}          // step -> invocation of its last recorded start
	startedIn := map[string]map[int]bool{} // step -> invocations that recorded a start
	var seenSeq int64
	kills := 0
	for inv := 1; ; inv++ {
		if inv > 200 {
			t.Fatal("no progress after 200 invocations")
		}
		args := []string{"resume", "--parallel", "2"}
		st, err := checkpoint.OpenFile(state)
		if err != nil {
			t.Fatal(err)
		}
		id, err := checkpoint.Latest(context.Background(), st)
		switch {
		case errors.Is(err, checkpoint.ErrNoRuns):
			args = []string{"apply", "plan.yaml", "--parallel", "2"}
		case err != nil:
			t.Fatal(err)
		default:
			d, err := st.LoadRun(context.Background(), id)
			if err != nil {
				t.Fatalf("invocation %d: the state does not load: %v", inv, err)
			}
			var unknown []string
			for sid, s := range checkpoint.Fold(d.Events) {
				var w int
				fmt.Sscanf(sid, "s%d-%d", new(int), &w)
				if s.Status == checkpoint.StatusUnknown && !idempotentColumn(w) {
					unknown = append(unknown, sid) // the operator checked: run again
				}
			}
			if len(unknown) > 0 {
				args = append(args, "--from", strings.Join(unknown, ","))
			}
		}
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "CRASH_INV="+strconv.Itoa(inv), "NO_COLOR=1")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		var werr error
		killed := false
		// Kill at a random moment once the process has started recording
		// (slow machines and -race change how long that takes).
		size0 := eventsSize(state)
		window := 60_000 + inv*5_000 // µs; widens so that slow runs progress
		if kills >= 30 {
			window = 1 << 40 // enough kill points: let the round finish
		}
		grew := time.NewTicker(time.Millisecond)
	wait:
		for {
			select {
			case werr = <-done:
				break wait
			case <-grew.C:
				if eventsSize(state) == size0 {
					continue
				}
				grew.Stop()
				select {
				case werr = <-done:
				case <-time.After(time.Duration(rng.IntN(window)) * time.Microsecond):
					syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
					werr = <-done
					killed = true
				}
				break wait
			}
		}
		grew.Stop()
		var ee *exec.ExitError
		if !(killed && errors.As(werr, &ee) && ee.Sys().(syscall.WaitStatus).Signaled()) && werr != nil {
			t.Fatalf("invocation %d (%v) failed: %v\n%s", inv, args, werr, out.String())
		}
		// Attribute this invocation's recorded starts to it.
		before := seenSeq
		if id, err := checkpoint.Latest(context.Background(), st); err == nil {
			d, err := st.LoadRun(context.Background(), id)
			if err != nil {
				t.Fatalf("after invocation %d the state does not load: %v", inv, err)
			}
			for _, e := range d.Events {
				if e.Seq > seenSeq && e.Type == checkpoint.StepStarted {
					lastStart[e.Step] = inv
					if startedIn[e.Step] == nil {
						startedIn[e.Step] = map[int]bool{}
					}
					startedIn[e.Step][inv] = true
				}
			}
			if n := len(d.Events); n > 0 {
				seenSeq = d.Events[n-1].Seq
			}
		}
		if werr != nil && seenSeq > before {
			kills++ // killed mid-run: it had recorded progress
		}
		if werr == nil {
			checkCrashRound(t, dir, state, ids, lastStart, startedIn)
			return kills
		}
	}
}

// checkCrashRound checks a finished round.
func checkCrashRound(t *testing.T, dir, state string, ids []string, lastStart map[string]int, startedIn map[string]map[int]bool) {
	t.Helper()
	st, _ := checkpoint.OpenFile(state)
	id, err := checkpoint.Latest(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	d, err := st.LoadRun(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if last := d.Events[len(d.Events)-1]; last.Type != checkpoint.RunFinished || last.Status != "ok" {
		t.Errorf("the final run did not finish ok: %+v", last)
	}
	// A step that succeeded is never started again.
	succeeded := map[string]bool{}
	for _, e := range d.Events {
		switch e.Type {
		case checkpoint.StepSucceeded:
			succeeded[e.Step] = true
		case checkpoint.StepStarted:
			if succeeded[e.Step] {
				t.Errorf("step %s started again (seq %d) after it succeeded", e.Step, e.Seq)
			}
		}
	}
	fold := checkpoint.Fold(d.Events)
	time.Sleep(20 * time.Millisecond) // commands orphaned by a kill finish their echo
	b, err := os.ReadFile(filepath.Join(dir, "out.txt"))
	if err != nil {
		t.Fatal(err)
	}
	runs := map[string][]int{} // step -> invocations its command started in
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Fields(l)
		if len(f) != 2 {
			t.Fatalf("bad line %q in out.txt", l)
		}
		inv, _ := strconv.Atoi(f[1])
		runs[f[0]] = append(runs[f[0]], inv)
		// A command only runs after its start is durably recorded.
		if !startedIn[f[0]][inv] {
			t.Errorf("step %s ran in invocation %d, which recorded no start for it", f[0], inv)
		}
	}
	for _, sid := range ids {
		s := fold[sid]
		if s == nil || s.Status != checkpoint.StatusSucceeded {
			t.Errorf("step %s is not succeeded: %+v", sid, s)
			continue
		}
		n := 0
		for _, inv := range runs[sid] {
			if inv >= lastStart[sid] {
				n++
			}
		}
		if n != 1 {
			t.Errorf("step %s ran %d times since its last recorded start (invocation %d); runs in invocations %v", sid, n, lastStart[sid], runs[sid])
		}
	}
}

// eventsSize is the total size of the state's events files.
func eventsSize(state string) int64 {
	files, _ := filepath.Glob(filepath.Join(state, "runs", "*", "events.jsonl"))
	var n int64
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil {
			n += fi.Size()
		}
	}
	return n
}

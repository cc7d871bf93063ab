package hoststest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/planrun/planrun/hosts"
)

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func sh(script string) hosts.Command {
	return hosts.Command{Path: "/bin/sh", Args: []string{"-c", script}}
}

var execTests = map[string]func(*testing.T, hosts.Host){
	"exit status and output": func(t *testing.T, h hosts.Host) {
		res, err := h.Exec(ctxT(t), sh("echo out; echo err >&2; exit 3"))
		if err != nil {
			t.Fatal(err)
		}
		if res.ExitCode != 3 || string(res.Stdout) != "out\n" || string(res.Stderr) != "err\n" {
			t.Errorf("got exit %d stdout %q stderr %q; want 3, \"out\\n\", \"err\\n\"", res.ExitCode, res.Stdout, res.Stderr)
		}
	},
	"success": func(t *testing.T, h hosts.Host) {
		res, err := h.Exec(ctxT(t), hosts.Command{Path: "true"})
		if err != nil || res.ExitCode != 0 {
			t.Errorf("true: exit %d, %v", res.ExitCode, err)
		}
	},
	"args kept verbatim": func(t *testing.T, h hosts.Host) {
		args := []string{"a b", `it's`, `"q"`, "$HOME", "`x`", "semi;colon", "", "new\nline", "*"}
		res, err := h.Exec(ctxT(t), hosts.Command{Path: "printf", Args: append([]string{`[%s]\n`}, args...)})
		if err != nil || res.ExitCode != 0 {
			t.Fatalf("printf: exit %d, %v, %s", res.ExitCode, err, res.Stderr)
		}
		var want strings.Builder
		for _, a := range args {
			want.WriteString("[" + a + "]\n")
		}
		if string(res.Stdout) != want.String() {
			t.Errorf("stdout %q, want %q", res.Stdout, want.String())
		}
	},
	"env and dir": func(t *testing.T, h hosts.Host) {
		ctx := ctxT(t)
		if err := h.MkdirAll(ctx, "work/sub", 0o755); err != nil {
			t.Fatal(err)
		}
		WriteFile(t, h, "work/sub/marker", []byte("here"), 0o644)
		c := sh(`printf '%s|%s|' "$PLANRUN_A" "$PLANRUN_B"; cat marker`)
		c.Env = map[string]string{"PLANRUN_A": `it's "quoted" $x`, "PLANRUN_B": "two words"}
		c.Dir = "work/sub"
		res, err := h.Exec(ctx, c)
		if err != nil || res.ExitCode != 0 {
			t.Fatalf("exit %d, %v, %s", res.ExitCode, err, res.Stderr)
		}
		if want := `it's "quoted" $x|two words|here`; string(res.Stdout) != want {
			t.Errorf("stdout %q, want %q", res.Stdout, want)
		}
	},
	"keep bounds what the result holds": func(t *testing.T, h hosts.Host) {
		// 3 x 100,000 bytes on stdout, then "END"; 7 on stderr: the
		// writers get it all, the result the last 1,000 bytes of each.
		var out syncBuffer
		c := sh(`i=0; while [ $i -lt 3 ]; do head -c 100000 /dev/zero | tr '\0' a; i=$((i+1)); done; printf END; printf 1234567 >&2`)
		c.Stdout, c.Keep = &out, 1000
		res, err := h.Exec(ctxT(t), c)
		if err != nil || res.ExitCode != 0 {
			t.Fatalf("exit %d, %v, %s", res.ExitCode, err, res.Stderr)
		}
		if want := strings.Repeat("a", 997) + "END"; string(res.Stdout) != want || res.StdoutCut != 300003-1000 {
			t.Errorf("stdout %d bytes (%.10q...), cut %d; want the last 1000, cut %d", len(res.Stdout), res.Stdout, res.StdoutCut, 300003-1000)
		}
		if string(res.Stderr) != "1234567" || res.StderrCut != 0 {
			t.Errorf("stderr %q, cut %d", res.Stderr, res.StderrCut)
		}
		if n := len(out.String()); n != 300003 {
			t.Errorf("the stdout writer got %d bytes, want 300003", n)
		}
	},
	"home shorthand": func(t *testing.T, h hosts.Host) {
		// "~" is the login home for files and commands alike (as scp
		// and the shells take it), not a directory named "~".
		ctx := ctxT(t)
		for _, p := range []string{"~", "~/", "~/."} {
			if fi, err := h.Stat(ctx, p); err != nil || !fi.IsDir() {
				t.Fatalf("stat %s: %v, %v", p, fi, err)
			}
		}
		c := sh("pwd -P")
		c.Dir = "~"
		res, err := h.Exec(ctx, c)
		home := strings.TrimSpace(string(res.Stdout))
		if err != nil || res.ExitCode != 0 || !strings.HasPrefix(home, "/") {
			t.Fatalf("pwd in ~: %q, exit %d, %v, %s", home, res.ExitCode, err, res.Stderr)
		}
		// A file a command makes in ~ is the file ~/NAME names (the home
		// may be shared with other tests: one file of its own, removed).
		var b [8]byte
		rand.Read(b[:])
		name := "planrun-home-" + hex.EncodeToString(b[:])
		t.Cleanup(func() { h.Remove(context.Background(), "~/"+name) })
		mk := sh("printf here > " + name)
		mk.Dir = "~"
		if res, err := h.Exec(ctx, mk); err != nil || res.ExitCode != 0 {
			if bytes.Contains(res.Stderr, []byte("Read-only")) || bytes.Contains(res.Stderr, []byte("ermission denied")) {
				t.Skipf("the home directory %s is not writable here: %s", home, res.Stderr)
			}
			t.Fatalf("make ~/%s: exit %d, %v, %s", name, res.ExitCode, err, res.Stderr)
		}
		for _, p := range []string{"~/" + name, home + "/" + name} {
			if fi, err := h.Stat(ctx, p); err != nil || fi.Size() != 4 {
				t.Errorf("stat %s: %v, %v", p, fi, err)
			}
		}
		if _, err := h.Stat(ctx, "~/planrun-no-such-file"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("stat ~/planrun-no-such-file: %v, want not exist", err)
		}
	},
	"default dir is the host's": func(t *testing.T, h hosts.Host) {
		WriteFile(t, h, "marker", []byte("root"), 0o644)
		res, err := h.Exec(ctxT(t), sh("cat marker"))
		if err != nil || string(res.Stdout) != "root" {
			t.Errorf("cat marker: %q, %v, %s", res.Stdout, err, res.Stderr)
		}
	},
	"missing dir": func(t *testing.T, h hosts.Host) {
		// The directory, not the program, is named as what is missing.
		c := sh("true")
		c.Dir = "no/such/dir"
		res, err := h.Exec(ctxT(t), c)
		switch {
		case err != nil:
			if msg := err.Error(); !strings.Contains(msg, "no/such/dir") || !strings.Contains(msg, "no such file or directory") {
				t.Errorf("error %q does not say the directory no/such/dir is missing", msg)
			}
		case res.ExitCode == 0:
			t.Error("ran with a missing working directory")
		case !strings.Contains(string(res.Stderr), "no/such/dir"):
			t.Errorf("exit %d, stderr %q does not name the directory", res.ExitCode, res.Stderr)
		}
	},
	"missing program": func(t *testing.T, h hosts.Host) {
		res, err := h.Exec(ctxT(t), hosts.Command{Path: "planrun-no-such-program"})
		if err == nil && res.ExitCode != 127 {
			t.Errorf("missing program: exit %d, nil error; want an error or exit 127", res.ExitCode)
		}
	},
	"streams output": func(t *testing.T, h hosts.Host) {
		var out, errb syncBuffer
		c := sh("echo one; echo two >&2; echo three")
		c.Stdout, c.Stderr = &out, &errb
		res, err := h.Exec(ctxT(t), c)
		if err != nil || res.ExitCode != 0 {
			t.Fatal(res.ExitCode, err)
		}
		if out.String() != "one\nthree\n" || errb.String() != "two\n" || string(res.Stdout) != "one\nthree\n" {
			t.Errorf("streamed %q / %q, captured %q", out.String(), errb.String(), res.Stdout)
		}
	},
	"timeout kills": func(t *testing.T, h hosts.Host) {
		ctx, cancel := context.WithTimeout(ctxT(t), 500*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := h.Exec(ctx, sh("echo $$ > pid; exec sleep 30"))
		if err == nil {
			t.Fatal("no error after the context ended")
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("exec returned %v after the deadline", d)
		}
		// The process must be gone (poll: killing takes a moment remotely).
		deadline := time.Now().Add(5 * time.Second)
		for {
			res, err := h.Exec(ctxT(t), sh(`kill -0 "$(cat pid)" 2>/dev/null`))
			if err != nil {
				t.Fatal(err)
			}
			if res.ExitCode != 0 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatal("the command is still running 5s after its context ended")
			}
			time.Sleep(100 * time.Millisecond)
		}
	},
	"concurrent": func(t *testing.T, h hosts.Host) {
		ctx := ctxT(t)
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := hosts.Command{Path: "echo", Args: []string{strings.Repeat("x", i)}}
				res, err := h.Exec(ctx, c)
				if err != nil || string(res.Stdout) != strings.Repeat("x", i)+"\n" {
					t.Errorf("exec %d: %q, %v", i, res.Stdout, err)
				}
			}()
		}
		wg.Wait()
	},
}

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

package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/creack/pty"
	"github.com/rogpeppe/go-internal/testscript"
)

// TestLiveViewScripts runs the stories in testdata/pty: what a user sees
// in a real terminal. `ptyexec` runs a command with its stdin, stdout and
// stderr on a 40×120 pseudo-terminal and makes everything it wrote the
// script's stdout; `mkfile NAME BYTES` writes a file of that size; the
// condition [pty] says whether pseudo-terminals are available.
func TestLiveViewScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/pty",
		RequireExplicitExec: true,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"ptyexec": ptyExec,
			"mkfile":  mkFile,
		},
		Condition: ptyCondition,
	})
}

// ptyCondition answers the testscript condition [pty]: whether a
// pseudo-terminal can be opened here.
func ptyCondition(cond string) (bool, error) {
	if cond != "pty" {
		return false, fmt.Errorf("unknown condition %q", cond)
	}
	ptmx, tty, err := pty.Open()
	if err != nil {
		return false, nil
	}
	ptmx.Close()
	tty.Close()
	return true, nil
}

func ptyExec(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) == 0 {
		ts.Fatalf("usage: ptyexec command [args...]")
	}
	cmd := exec.Command(lookPath(ts, args[0]), args[1:]...)
	cmd.Dir = ts.MkAbs(".")
	term := ts.Getenv("TERM")
	if term == "" {
		term = "xterm-256color"
	}
	cmd.Env = []string{"PATH=" + ts.Getenv("PATH"), "HOME=" + ts.Getenv("HOME"), "TMPDIR=" + ts.Getenv("TMPDIR"),
		"WORK=" + ts.Getenv("WORK"), "TERM=" + term, "NO_COLOR=" + ts.Getenv("NO_COLOR")}
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 120})
	if err != nil {
		ts.Fatalf("start %s on a pseudo-terminal: %v", args[0], err)
	}
	var out bytes.Buffer
	_, rerr := io.Copy(&out, f) // ends with EIO once the child has exited
	f.Close()
	werr := cmd.Wait()
	var pe *os.PathError
	if rerr != nil && !(errors.As(rerr, &pe) && strings.Contains(rerr.Error(), "input/output error")) {
		ts.Fatalf("read pseudo-terminal: %v", rerr)
	}
	ts.Stdout().Write(bytes.ReplaceAll(out.Bytes(), []byte("\r\n"), []byte("\n")))
	if werr != nil && !neg {
		ts.Fatalf("%s: %v", args[0], werr)
	}
	if werr == nil && neg {
		ts.Fatalf("%s unexpectedly succeeded", args[0])
	}
}

func lookPath(ts *testscript.TestScript, name string) string {
	for _, dir := range strings.Split(ts.Getenv("PATH"), string(os.PathListSeparator)) {
		p := dir + string(os.PathSeparator) + name
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p
		}
	}
	ts.Fatalf("%s not found in $PATH", name)
	return ""
}

func mkFile(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 || neg {
		ts.Fatalf("usage: mkfile NAME BYTES")
	}
	n, err := strconv.ParseInt(args[1], 10, 64)
	if err != nil {
		ts.Fatalf("mkfile: %v", err)
	}
	f, err := os.Create(ts.MkAbs(args[0]))
	ts.Check(err)
	block := make([]byte, 1<<20)
	for i := range block {
		block[i] = byte(i*7 + i>>8)
	}
	for n > 0 {
		w := min(n, int64(len(block)))
		_, err := f.Write(block[:w])
		ts.Check(err)
		n -= w
	}
	ts.Check(f.Close())
}

package main

import (
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestQuickstartLiveView runs the README's first command — apply of the
// quickstart, copied into the story's work directory — in a real
// pseudo-terminal (stories in testdata/quickstart-pty).
func TestQuickstartLiveView(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/quickstart-pty",
		RequireExplicitExec: true,
		Cmds:                map[string]func(ts *testscript.TestScript, neg bool, args []string){"ptyexec": ptyExec},
		Setup: func(e *testscript.Env) error {
			copyTree(t, filepath.Join(examplesDir, "quickstart"), e.WorkDir)
			return nil
		},
		Condition: ptyCondition,
	})
}

package main

import (
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestQuickstartLiveView runs the README's first command as written —
// `planrun apply examples/quickstart/plan.yaml` from the top of a copy of
// the repository's examples, with the default (relative) state directory —
// in a real pseudo-terminal and without one (stories in
// testdata/quickstart-pty).
func TestQuickstartLiveView(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/quickstart-pty",
		RequireExplicitExec: true,
		Cmds:                map[string]func(ts *testscript.TestScript, neg bool, args []string){"ptyexec": ptyExec},
		Setup: func(e *testscript.Env) error {
			copyTree(t, filepath.Join(examplesDir, "quickstart"), filepath.Join(e.WorkDir, "examples", "quickstart"))
			return nil
		},
		Condition: ptyCondition,
	})
}

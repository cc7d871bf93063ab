package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/planrun/planrun/plan"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"planrun": func() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs the CLI stories in testdata/script: each .txtar is a
// small story a user would live through.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Setup: func(e *testscript.Env) error {
			e.Setenv("NO_COLOR", "1")
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){"rehash": rehash},
	})
}

// rehash FILE...: records in each frozen plan (a glob may name several)
// the hash of its content, as anyone who edits a state directory on
// purpose can.
func rehash(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: rehash FILE...")
	}
	for _, a := range args {
		files, err := filepath.Glob(ts.MkAbs(a))
		ts.Check(err)
		if len(files) == 0 {
			ts.Fatalf("rehash: no file %s", a)
		}
		for _, f := range files {
			var p plan.Plan
			ts.Check(json.Unmarshal([]byte(ts.ReadFile(f)), &p))
			p.Hash = p.ComputeHash()
			b, err := json.Marshal(&p)
			ts.Check(err)
			ts.Check(os.WriteFile(f, b, 0o600))
		}
	}
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// Exit codes; every one is mapped here and nowhere else.
const (
	exitOK          = 0
	exitStepFailed  = 1
	exitUsage       = 2
	exitInvalidPlan = 3
	exitLocked      = 4
	exitDrift       = 5
	exitBadState    = 6 // state written by a newer planrun, or a corrupted events file
	exitInterrupted = 130
)

// exitError carries the exit code a command wants. Commands return it (or
// wrap it); run maps it to the process exit status. A nil Err means the
// command already printed what it had to say.
type exitError struct {
	Code int
	Err  error
}

func (e *exitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *exitError) Unwrap() error { return e.Err }

// streams are the command's standard streams.
type streams struct {
	in  io.Reader
	out io.Writer
	err io.Writer
}

func newRootCmd(s streams) *cobra.Command {
	root := &cobra.Command{
		Use:   "planrun",
		Short: "Run declarative YAML plans: validated, concurrent, checkpointed, resumable",
		Long: `planrun runs a YAML plan of steps as a dependency graph: it validates the whole
plan first, runs independent steps concurrently, checkpoints every state change,
and resumes after a failure without redoing what succeeded. Its first job is
migrating FATE models between clusters with new party ids.

Exit codes: 0 success, 1 a step failed, 2 usage error, 3 invalid plan,
4 state locked by another run, 5 plan drift needs --accept-drift,
6 state directory from a newer planrun or corrupted, 130 interrupted.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(s.in)
	root.SetOut(s.out)
	root.SetErr(s.err)
	// Each command lives in its own file and is added here.
	root.AddCommand(
		// commands: keep one per line
		newVersionCmd(),
		newInitCmd(s),
		newValidateCmd(s),
		newSchemaCmd(s),
		newApplyCmd(s),
		newResumeCmd(s),
		newStatusCmd(s),
		newLogsCmd(s),
		newUnlockCmd(s),
		newPlanCmd(s),
		newModelCmd(s),
	)
	return root
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	s := streams{in: stdin, out: stdout, err: stderr}
	root := newRootCmd(s)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.Err != nil {
			fmt.Fprintln(stderr, "planrun:", ee.Err)
		}
		return ee.Code
	}
	// Anything else is cobra's usage error (unknown flag, wrong args).
	fmt.Fprintln(stderr, "planrun:", err)
	return exitUsage
}

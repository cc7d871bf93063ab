package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/planrun/planrun/runner/checkpoint"
)

// unlockFlags are the flags of `planrun unlock`.
type unlockFlags struct {
	state string
}

func newUnlockCmd(s streams) *cobra.Command {
	f := &unlockFlags{}
	cmd := &cobra.Command{
		Use:   "unlock",
		Short: "Remove a stale lock (prints who held it)",
		Long: `Remove the holder record a run left in the state's lock, and print who held it.
The lock itself is an OS file lock that dies with its process; a lock still
held by a live process is not removed (exit 4 naming it): stop that run first.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := checkpoint.OpenFile(f.state)
			if err != nil {
				return stateError(err)
			}
			h, ok, err := st.BreakLock(cmd.Context())
			if err != nil {
				return stateError(err)
			}
			if !ok {
				fmt.Fprintf(s.out, "%s was not locked\n", f.state)
				return nil
			}
			fmt.Fprintf(s.out, "unlocked %s, held by %s\n", f.state, h)
			return nil
		},
	}
	cmd.Flags().StringVar(&f.state, "state", defaultState, "state `DIR`")
	return cmd
}

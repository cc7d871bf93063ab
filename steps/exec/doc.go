// Package exec is the `exec` step kind: run a command on the local machine
// or on an inventory host over SSH. Without `args` the command is a shell
// command line (/bin/sh -c); with `args` it runs directly. Its trimmed
// stdout is the output `stdout`, and when stdout is a JSON object its
// fields become outputs as well. stdout and stderr stream into the step's
// log; a non-zero exit status fails the step with the end of stderr.
//
// Over SSH the environment is set with env(1) on the remote command line
// (servers usually refuse "env" requests), so values are visible in that
// host's process list while the command runs: pass secrets in files.
package exec

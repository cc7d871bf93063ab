// Package hoststest is the conformance suite every hosts.Host passes: file
// operations and their errors, concurrency, command execution (exit codes,
// output, environment, timeouts) and hosts.Copy to and from the host.
//
// The host under test must resolve relative paths (and run commands by
// default) in a fresh, empty directory of its own; the suite only uses
// relative paths on it.
package hoststest

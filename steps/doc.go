// Package steps defines the contract every step kind implements, the
// registry the runner looks kinds up in, and the Env a step runs with.
//
// A kind is a value with a name and a version that decodes its own typed
// `with:` configuration (NewConfig returns a pointer the plan loader decodes
// into, strictly), runs it, and returns Outputs. A kind may also implement
// Prober (a cheap "is this already done?" check used by resume for steps
// whose outcome is unknown) and Validator (static checks of a decoded
// config). Cross-cutting behaviour — retries, timeouts, limits, logging —
// lives in the runner, never in a kind. Kinds never import plan or runner.
package steps

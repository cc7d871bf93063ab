// Package plantest provides small step kinds for tests of the plan loader
// and of code built on it: "echo" (typed fields of every common shape,
// static checks, a host reference) and "xfer" ("host:path" addresses).
// They run instantly and touch nothing.
package plantest

// Package suggest finds the name a user probably meant when they wrote
// one that does not exist: "did you mean "hosts"?" for a field "host", a
// kind "transfr" or a step id with a letter left out.
//
// A candidate is suggested when it is within a small edit distance of the
// name (insertions, deletions, substitutions and swaps of two adjacent
// letters, ignoring case): 1 for names of up to 4 letters, 2 for longer
// ones. When several are that close, the closest wins, and a tie between
// different candidates suggests nothing, since guessing wrong misleads
// more than saying nothing.
package suggest

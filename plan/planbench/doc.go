// Package planbench holds the plan loader's benchmark over the real step
// kinds of steps/all (their schemas and typed configs), apart from the
// plan package so that plan's own tests never depend on every kind.
package planbench

// Package runner executes an expanded plan as a dependency graph.
//
// A step starts once every step it needs has succeeded and its success is
// recorded. It then takes a slot from each named limits pool it
// uses and from the global --parallel pool (in that order, so waiting for
// a pool never holds a global slot), resolves its configuration from the
// outputs of the steps it needs, computes its fingerprint, and runs with
// retries (exponential backoff, full jitter, capped) and a per-attempt
// timeout. Every state change is an event appended to the run's checkpoint
// (group commit: concurrent events share one write and fsync) before any
// observer or dependent sees it. A step that is not harmless to re-run
// (steps.IsIdempotent is false) runs only once its started event, and with
// it its needs' successes, is durable; the events of harmless steps are
// written at once and fsync'd within 10 ms, so a crash of the machine can
// at worst make resume run such a step again.
//
// Failure handling: steps downstream of a failed step are skipped, naming
// the failed step. By default a failure of a step outside any batch stops
// the scheduling of new steps outside batches (fail-fast); KeepGoing lets
// independent branches run. Batch items never stop each other.
//
// Resume: the runner is given the prior state of each step (folded from
// the checkpoint). A step whose prior success has the same fingerprint is
// not run and keeps its outputs; a step whose last attempt has no recorded
// result has an unknown outcome: the kind's probe decides, an idempotent
// kind re-runs, any other kind fails with advice to check and use --from.
//
// Secrets: events are redacted before they are recorded or observed. An
// output that holds a secret is recorded masked, with a digest of its value
// (Event.Redacted); the steps that use it get its value in the run that
// made it, and their fingerprints the digest. A later run has only the
// masked record: a step that uses such an output is kept when its
// fingerprint says it is done, and otherwise fails with advice to run the
// step that made it again, rather than running with the mask.
//
// Cancelling the context (a signal) stops scheduling and cancels running
// steps; they are recorded interrupted, within a grace period even if a
// step ignores its context.
package runner

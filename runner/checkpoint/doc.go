// Package checkpoint records runs durably so that they can be resumed.
//
// A run is a frozen, expanded plan (plan.json) and an append-only log of
// events (events.jsonl), one per state change of a step. The state of every
// step is a fold of the events (see Fold); nothing is ever rewritten in
// place. A Store holds runs and the lock that allows one runner per state
// directory at a time. FileStore keeps them under a directory (default
// .planrun/): runs/<run-id>/plan.json, runs/<run-id>/events.jsonl,
// runs/<run-id>/logs/<step>.<attempt>.log, a format file and a lock file
// guarded by flock(2); runs/<run-id>/work is the run's scratch directory.
// A state directory may come from elsewhere (a CI artifact): FileStore
// opens what it made there as it made it, never through a symbolic link
// (an *EntryError), and checks a run's plan.json against its hash and a
// plan's rules (a *CorruptPlanError). MemStore keeps runs in memory for
// tests. Both pass the conformance suite in checkpoint/storetest, which
// any other backend (a shared database) must pass too.
//
// Run ids are UTC timestamps with microseconds, "20060102T150405.000000Z":
// they sort by creation time, so the latest run is the greatest id.
package checkpoint

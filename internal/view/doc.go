// Package view is everything a user sees while and after a run: the live
// terminal view, plain lines for logs, NDJSON events, a JUnit report, the
// end-of-run summary, the `planrun plan` preview and the `planrun status`
// table.
//
// The runner reports to an observer: Event for every state change, in
// order, after it is recorded, and Progress for byte progress of running
// steps (called very often, from many goroutines). Live, Lines, JSON,
// JUnit and Summary each implement that observer (structurally; this
// package does not import the runner), and Multi fans out to several.
// ForWriter picks the right one for a writer: Live on a terminal, Lines
// otherwise, JSON for `--output json`.
//
// Rendering is apart from running: RenderPlan and RenderStatus take plain
// data (Preview, Status) that the commands build from the plan and the
// checkpoint, and write text or JSON (and Graphviz dot or Mermaid for
// plans).
//
// Outputs never carry secrets because the runner redacts events (package
// internal/redact) before observers see them.
package view

// Package plan loads plan files: YAML with positions, the embedded JSON
// Schema, each kind's typed `with:`, semantic checks, expressions, batch
// expansion and the dependency graph. Every problem is reported at once,
// each as file:line:col: message. It also resolves a step's expressions at
// run time and fingerprints steps for resume.
//
// Load works in passes over the YAML node tree: the schema check (problems
// mapped back from JSON instance locations to nodes), the top-level
// sections (vars, hosts, limits, defaults, merged over several files), the
// steps and batch blocks, the batch items (inline, CSV or YAML file), the
// per-step checks at template level (kind, limits, needs, every expression's
// names), expansion (vars and item substituted; a batch template becomes
// ID[KEY] per item; references to the same block point at the same item's
// copy), the typed decode and the kind's own checks per expanded step, and
// finally the graph and its cycles. A value that still holds an expression
// (${{ steps.* }} or ${{ env.* }}) is not type-checked until Resolve.
//
// A Plan is plain data that round-trips through JSON (the runner freezes
// it in the state directory); environment values never enter it.
package plan

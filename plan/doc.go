// Package plan loads plan files: YAML with positions, the embedded JSON
// Schema, each kind's typed `with:`, semantic checks, expressions, batch
// expansion and the dependency graph. Every problem is reported at once,
// each as file:line:col: message. It also resolves a step's expressions at
// run time and fingerprints steps for resume.
package plan

// Package redact removes secrets (passwords, keys, tokens) from text before
// it reaches logs, state or output.
//
// A Redactor is built once from the secrets a run knows about. String
// redacts a whole string, Writer wraps an io.Writer and redacts a stream
// (a secret split across two Write calls is still caught: the writer holds
// back the tail that could begin a secret until more data or Flush),
// Value redacts the strings inside a value (a step's outputs, say), and
// Cut redacts a piece cut out of a longer text that was not redacted
// first: what the cut left of a secret at its edges is masked too (Edges
// masks only that).
//
// Every occurrence of a secret is replaced by "***"; overlapping or
// adjacent occurrences collapse into one "***". A secret is found as it is
// and as JSON escapes it (a command printing JSON writes `p\u003cw` or
// `a\"b` for a secret p<w or a"b). Secrets shorter than
// MinLen bytes are ignored, because redacting "a" or "42" would mangle
// ordinary text without protecting anything. A nil *Redactor redacts
// nothing, so callers need no nil checks.
package redact

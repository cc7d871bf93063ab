package runner

import (
	"maps"

	"github.com/planrun/planrun/internal/redact"
	"github.com/planrun/planrun/runner/checkpoint"
)

// redactEvent returns e with its Error, Reason and every string among its
// Outputs (nested maps and lists included, and their names) redacted. e
// itself is not modified: a changed Outputs map is a copy. Redacted (set
// by the runner: the outputs holding a secret) loses the names that hold
// one: under its masked name, no step can refer to such an output.
func redactEvent(red *redact.Redactor, e checkpoint.Event) checkpoint.Event {
	if red.Len() == 0 {
		return e
	}
	e.Error = red.String(e.Error)
	e.Reason = red.String(e.Reason)
	if len(e.Outputs) > 0 {
		e.Outputs = red.Value(e.Outputs).(map[string]any)
	}
	for name := range e.Redacted {
		if red.String(name) != name {
			e.Redacted = maps.Clone(e.Redacted)
			maps.DeleteFunc(e.Redacted, func(name, _ string) bool { return red.String(name) != name })
			break
		}
	}
	return e
}

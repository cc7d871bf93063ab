package runner

import (
	"github.com/planrun/planrun/internal/redact"
	"github.com/planrun/planrun/runner/checkpoint"
)

// redactEvent returns e with its Error, Reason and every string among its
// Outputs (nested maps and lists included) redacted. e itself is not
// modified: a changed Outputs map is a copy.
func redactEvent(red *redact.Redactor, e checkpoint.Event) checkpoint.Event {
	if red.Len() == 0 {
		return e
	}
	e.Error = red.String(e.Error)
	e.Reason = red.String(e.Reason)
	if len(e.Outputs) > 0 {
		e.Outputs = red.Value(e.Outputs).(map[string]any)
	}
	return e
}

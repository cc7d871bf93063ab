package checkpoint

import "time"

// Step states, as folded from events.
const (
	StatusPending     = "pending"     // no event recorded
	StatusUnknown     = "unknown"     // started, no result recorded: outcome unknown
	StatusRetrying    = "retrying"    // an attempt failed; another will follow
	StatusSucceeded   = "succeeded"   // succeeded, or carried over as already done
	StatusFailed      = "failed"      // failed for good
	StatusSkipped     = "skipped"     // not run (upstream failed, run stopping)
	StatusInterrupted = "interrupted" // cancelled by a signal
)

// Reasons with a meaning for the fold.
const (
	// ReasonAlreadyDone marks a step_skipped event that carries a success
	// over from an earlier run (Outputs and Fingerprint are set): the step
	// counts as succeeded.
	ReasonAlreadyDone = "already done"
	// ReasonUnknownOutcome marks a step_failed event for a step whose last
	// attempt has an unknown outcome that could not be settled: the step
	// stays unknown, so a later resume does not silently re-run it.
	ReasonUnknownOutcome = "unknown outcome"
	// ReasonProbed marks a step_succeeded event whose success the kind's
	// probe found in place, without running the step.
	ReasonProbed = "probe found it done"
)

// StepState is a step's state folded from a run's events.
type StepState struct {
	ID     string
	Status string
	// Attempt is the number of the last recorded attempt.
	Attempt     int
	Fingerprint string
	// Outputs are the outputs of the current success (Status succeeded),
	// as recorded: those named in Redacted are masked.
	Outputs map[string]any
	// Redacted are the outputs of the current success that held a secret:
	// their names and digests (Event.Redacted).
	Redacted map[string]string
	// LastOutputs are the outputs of the last recorded success, even if the
	// step was re-run since (a probe gets them).
	LastOutputs map[string]any
	Error       string
	Reason      string
	// AlreadyDone is set when the success was carried over from an earlier run.
	AlreadyDone bool
	Started     time.Time
	Finished    time.Time
}

// Fold computes every step's state from events, in order. Steps with no
// event are absent from the map.
func Fold(events []Event) map[string]*StepState {
	m := make(map[string]*StepState)
	for i := range events {
		FoldOne(m, &events[i])
	}
	return m
}

// FoldOne applies one event to a fold.
func FoldOne(m map[string]*StepState, e *Event) {
	if e.Step == "" {
		return
	}
	s := m[e.Step]
	if s == nil {
		s = &StepState{ID: e.Step, Status: StatusPending}
		m[e.Step] = s
	}
	switch e.Type {
	case StepStarted:
		s.Status = StatusUnknown
		s.Attempt = e.Attempt
		s.Fingerprint = e.Fingerprint
		s.Outputs, s.Redacted, s.Error, s.Reason, s.AlreadyDone = nil, nil, "", "", false
		s.Started, s.Finished = e.Time, time.Time{}
	case AttemptFailed:
		s.Status = StatusRetrying
		s.Error = e.Error
		s.Attempt = max(s.Attempt, e.Attempt)
	case StepSucceeded:
		s.Status = StatusSucceeded
		s.Outputs, s.LastOutputs, s.Redacted = e.Outputs, e.Outputs, e.Redacted
		s.Fingerprint = e.Fingerprint
		s.Error, s.Reason, s.AlreadyDone = "", e.Reason, false
		s.Finished = e.Time
	case StepFailed:
		s.Error, s.Reason, s.Finished = e.Error, e.Reason, e.Time
		s.Attempt = max(s.Attempt, e.Attempt)
		if e.Reason == ReasonUnknownOutcome {
			s.Status = StatusUnknown
		} else {
			s.Status = StatusFailed
		}
	case StepSkipped:
		s.Reason, s.Finished = e.Reason, e.Time
		switch {
		case e.Reason == ReasonAlreadyDone, e.Status == StatusSucceeded:
			// Carried over: already done, or skipped in this run but
			// done before (the skip keeps the success).
			s.Status = StatusSucceeded
			s.AlreadyDone = true
			s.Outputs, s.LastOutputs, s.Redacted = e.Outputs, e.Outputs, e.Redacted
			s.Fingerprint = e.Fingerprint
			s.Attempt = max(s.Attempt, e.Attempt)
			s.Error = ""
		case e.Status == StatusUnknown:
			// Skipped in this run, its last attempt's outcome still
			// unknown: it must be checked before it runs again.
			s.Status = StatusUnknown
			s.Attempt = max(s.Attempt, e.Attempt)
		case s.Status == StatusUnknown:
			// A skip without the state it keeps (written by an earlier
			// planrun) over an outcome this run left unknown: still
			// unknown, never simply run again.
		default:
			s.Status = StatusSkipped
		}
	case StepInterrupted:
		s.Status = StatusInterrupted
		s.Error, s.Finished = e.Error, e.Time
	}
	if e.Fingerprint != "" {
		s.Fingerprint = e.Fingerprint
	}
}

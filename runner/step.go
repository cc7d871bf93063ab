package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/planrun/planrun/plan"
	"github.com/planrun/planrun/runner/checkpoint"
	"github.com/planrun/planrun/steps"
)

// execute takes n from ready to settled. Its error is fatal to the run
// (the checkpoint cannot be written); step failures are recorded.
func (r *runner) execute(n *node) error {
	if r.gctx.Err() != nil {
		r.leavePending(n)
		return nil
	}
	// A run that is stopping (fail-fast) starts nothing new, but a step
	// already done stays done, and one whose outcome is unknown stays
	// unknown: a skip recorded over either would make the next resume run
	// it again.
	failed := r.stoppedBy(n)
	cfg, params, err := r.opts.Resolve(n.s, r.opts.Registry, r.outputsOf, r.getenv)
	// A step that needs outputs the state has only masked (they held a
	// secret) cannot run, but its fingerprint says whether it need not.
	var masked *plan.RedactedOutputError
	if err != nil && !errors.As(err, &masked) {
		if failed != "" {
			return r.stopSkip(n, failed)
		}
		return r.fail(n, 0, "", stepError(n.s, fmt.Errorf("resolve config: %w", err)), "")
	}
	fp := r.opts.Fingerprint(n.s, n.kind.Version(), params)
	first := 1
	if pr := n.prior; pr != nil {
		if r.inRun(n) {
			first = pr.Attempt + 1
		}
		if !n.force && pr.Status == checkpoint.StatusSucceeded && pr.Fingerprint == fp {
			// Without its config, --refresh cannot check it: kept as is.
			if kept, err := r.keepDone(n, cfg, fp, failed == "" && masked == nil); kept || err != nil {
				return err
			}
		}
		switch {
		case pr.Status != checkpoint.StatusUnknown:
		case failed != "" && r.inRun(n):
			r.leavePending(n)
			return nil
		case failed == "" && !n.force && (r.inRun(n) || pr.Fingerprint == fp):
			// An outcome left unknown is settled for the same work only:
			// in an earlier run (apply), a step whose fingerprint changed
			// since is other work, and simply runs.
			if masked != nil { // its probe needs its config: still unknown
				return r.fail(n, pr.Attempt, fp, r.maskedInputs(n, masked), checkpoint.ReasonUnknownOutcome)
			}
			if settled, err := r.settleUnknown(n, cfg, fp); settled || err != nil {
				return err
			}
		}
	}
	if failed != "" {
		return r.stopSkip(n, failed)
	}
	if masked != nil {
		return r.fail(n, 0, fp, r.maskedInputs(n, masked), "")
	}
	return r.attempts(n, cfg, fp, first)
}

// inRun reports whether n's prior state was recorded in this run's own
// checkpoint (a resume), not in an earlier run.
func (r *runner) inRun(n *node) bool { return r.opts.PriorInRun && !r.opts.Earlier[n.s.ID] }

// maskedInputs is the failure of step n, which needs outputs that held a
// secret and that this run has only as recorded, masked: which outputs,
// and how to make them again.
func (r *runner) maskedInputs(n *node, e *plan.RedactedOutputError) string {
	ids := e.Steps()
	them := "it"
	if len(e.Refs) > 1 {
		them = "them"
	}
	return stepError(n.s, fmt.Errorf("resolve config: %w; run %s again to make %s, and this step after it: `%s --from %s`",
		e, strings.Join(ids, ", "), them, r.resumeCommand(), strings.Join(ids, ",")))
}

// markStop stops the scheduling of new steps outside batches after n
// failed, unless the run keeps going.
func (r *runner) markStop(n *node) {
	if r.opts.KeepGoing || n.s.Batch != "" {
		return
	}
	r.mu.Lock()
	if r.stopping == "" {
		r.stopping = n.s.ID
	}
	r.mu.Unlock()
}

// stopSkip records that n is not started because failed stopped the run.
func (r *runner) stopSkip(n *node, failed string) error {
	e := r.skipEvent(n, fmt.Sprintf("not started: the run is stopping after step %s failed (--keep-going runs independent steps)", failed))
	if err := r.j.record(e); err != nil {
		return err
	}
	return r.finish(n, stateSkipped, plan.Upstream{}, e.Reason)
}

// skipEvent records that n is skipped in this run for reason. A step
// whose last outcome is a success or unknown keeps it: the event carries
// that state (Status, with its attempt, fingerprint and outputs), which
// the fold keeps, so that a later run neither runs a done step again nor
// runs one whose outcome must be checked first as if it were new.
func (r *runner) skipEvent(n *node, reason string) checkpoint.Event {
	e := r.event(n, checkpoint.StepSkipped, 0)
	e.Reason = reason
	if pr := n.prior; pr != nil && !n.force && (pr.Status == checkpoint.StatusSucceeded || pr.Status == checkpoint.StatusUnknown) {
		e.Status, e.Attempt, e.Fingerprint = pr.Status, pr.Attempt, pr.Fingerprint
		if pr.Status == checkpoint.StatusSucceeded {
			e.Outputs, e.Redacted = pr.Outputs, pr.Redacted
		}
	}
	return e
}

// stoppedBy returns the failed step that stops n from starting (fail-fast),
// or "".
func (r *runner) stoppedBy(n *node) string {
	if r.opts.KeepGoing || n.s.Batch != "" {
		return ""
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stopping
}

// leavePending puts a step that will not start (the run is interrupted)
// back to pending: nothing is recorded, resume runs it.
func (r *runner) leavePending(n *node) {
	r.mu.Lock()
	n.state = statePending
	r.mu.Unlock()
}

// fail records n's final failure and settles it.
func (r *runner) fail(n *node, attempt int, fp, msg, reason string) error {
	e := r.event(n, checkpoint.StepFailed, attempt)
	e.Fingerprint, e.Error, e.Reason = fp, msg, reason
	if err := r.j.record(e); err != nil {
		return err
	}
	r.mu.Lock()
	n.err = r.opts.Redactor.String(e.Error)
	n.unknown = reason == checkpoint.ReasonUnknownOutcome
	r.mu.Unlock()
	r.markStop(n)
	return r.finish(n, stateFailed, plan.Upstream{}, "upstream "+n.s.ID+" failed")
}

// settleUnknown decides a step whose last attempt has no recorded result:
// the kind's probe, else re-run if idempotent, else fail with advice.
// settled is false when the step should simply run.
func (r *runner) settleUnknown(n *node, cfg any, fp string) (settled bool, err error) {
	pr := n.prior
	prober, ok := n.kind.(steps.Prober)
	if !ok {
		if steps.IsIdempotent(n.kind, cfg) {
			return false, nil
		}
		// The start time is known where the start was recorded: in an
		// earlier run's record of this outcome it may not be.
		started := ""
		if !pr.Started.IsZero() {
			started = " started at " + pr.Started.Format(time.RFC3339)
		}
		msg := stepError(n.s, fmt.Errorf("attempt %d%s has no recorded result, and kind %s is not idempotent: check whether it took effect, then run `%s --from %s` to run it again",
			pr.Attempt, started, n.s.Kind, r.resumeCommand(), n.s.ID))
		return true, r.fail(n, pr.Attempt, fp, msg, checkpoint.ReasonUnknownOutcome)
	}
	// The probe reads what n's needs produced: their successes (maybe
	// still riding with the next write) must be durable first.
	if err := r.j.record(); err != nil {
		return true, err
	}
	if !r.acquire(n) {
		r.leavePending(n)
		return true, nil
	}
	env := r.env(n, pr.Attempt, io.Discard)
	res, perr := prober.Probe(r.gctx, env, cfg, pr.LastOutputs)
	r.release(n)
	if r.ctx.Err() != nil {
		r.leavePending(n)
		return true, nil
	}
	if perr != nil {
		msg := stepError(n.s, fmt.Errorf("probe the unknown outcome of attempt %d: %w", pr.Attempt, perr))
		return true, r.fail(n, pr.Attempt, fp, msg, checkpoint.ReasonUnknownOutcome)
	}
	if !res.Done {
		return false, nil
	}
	up := r.fresh(res.Outputs)
	e := r.event(n, checkpoint.StepSucceeded, pr.Attempt)
	e.Reason, e.Fingerprint, e.Outputs, e.Redacted = checkpoint.ReasonProbed, fp, res.Outputs, up.Redacted
	if err := r.j.record(e); err != nil {
		return true, err
	}
	return true, r.finish(n, stateSucceeded, up, "")
}

// attempts runs n's attempts, numbered from first, with retries.
func (r *runner) attempts(n *node, cfg any, fp string, first int) error {
	tries := max(n.s.Retry.Attempts, 1)
	// The start of a step that is harmless to re-run need not be durable
	// before it runs: lost in a crash, the step simply runs again.
	recordStart := r.j.record
	if steps.IsIdempotent(n.kind, cfg) {
		recordStart = r.j.write
	}
	for i := range tries {
		a := first + i
		if i > 0 && sleep(r.gctx, backoff(n.s.Retry, i)) != nil {
			return r.interrupted(n, a-1, fp, "interrupted while waiting to retry")
		}
		if !r.acquire(n) {
			if i == 0 {
				r.leavePending(n)
				return nil
			}
			return r.interrupted(n, a-1, fp, "interrupted while waiting for a slot to retry")
		}
		if i == 0 {
			// A failure may have stopped the run while n waited for a slot.
			if failed := r.stoppedBy(n); failed != "" {
				r.release(n)
				return r.stopSkip(n, failed)
			}
		}
		st := r.event(n, checkpoint.StepStarted, a)
		st.Fingerprint = fp
		if i == 0 {
			st.Reason = n.rerun
		}
		if err := recordStart(st); err != nil {
			r.release(n)
			return err
		}
		start := time.Now()
		out, err := r.attempt(n, cfg, a)
		if err != nil && i == tries-1 && r.ctx.Err() == nil {
			r.markStop(n) // before the slot is free for a step that would check
		}
		if err == nil {
			up := r.fresh(out)
			e := r.event(n, checkpoint.StepSucceeded, a)
			e.Fingerprint, e.Outputs, e.Redacted = fp, out, up.Redacted
			setDuration(&e, time.Since(start))
			return r.succeed(n, e, up)
		}
		r.release(n)
		if r.ctx.Err() != nil {
			if errors.Is(err, context.Canceled) {
				err = errors.New("interrupted")
			}
			return r.interrupted(n, a, fp, stepError(n.s, err))
		}
		msg := stepError(n.s, err)
		if i < tries-1 {
			e := r.event(n, checkpoint.AttemptFailed, a)
			e.Fingerprint, e.Error = fp, msg
			setDuration(&e, time.Since(start))
			if err := r.j.record(e); err != nil {
				return err
			}
			continue
		}
		return r.fail(n, a, fp, msg, "")
	}
	return nil
}

// succeed records n's success e, frees n's slot and starts n's
// dependents. The success is not written on its own: it rides ahead of
// the next write, typically the started event of the step that takes the
// slot or of a dependent, so that a step costs one write, not two. A step
// that is not harmless to re-run runs only once its started event is
// durable, and the success is written no later, so no such dependent runs
// before its needs' successes are durable. If no other write comes within
// followLinger, the success is written alone.
func (r *runner) succeed(n *node, e checkpoint.Event, out plan.Upstream) error {
	later := r.j.recordLater(e) // before the slot is free
	r.release(n)
	r.finish(n, stateSucceeded, out, "") // a success skips nothing: no error
	return r.j.await(later, followLinger)
}

// followLinger bounds how long a success waits for another write to ride
// with. Only the succeeded step's own goroutine waits: its slot is free
// and its dependents started.
const followLinger = 2 * time.Millisecond

// setDuration sets both of e's durations: whole milliseconds, and
// microseconds for whoever sums many short steps.
func setDuration(e *checkpoint.Event, d time.Duration) {
	e.DurationMS, e.DurationUS = d.Milliseconds(), d.Microseconds()
}

func (r *runner) interrupted(n *node, attempt int, fp, msg string) error {
	e := r.event(n, checkpoint.StepInterrupted, attempt)
	e.Fingerprint, e.Error = fp, msg
	if err := r.j.record(e); err != nil {
		return err
	}
	return r.finish(n, stateInterrupted, plan.Upstream{}, "")
}

// attempt runs one attempt with its timeout and log. A step that ignores
// cancellation is given up on after the grace period.
func (r *runner) attempt(n *node, cfg any, a int) (steps.Outputs, error) {
	ctx, cancel := r.gctx, context.CancelFunc(func() {})
	if t := time.Duration(n.s.Timeout); t > 0 {
		ctx, cancel = context.WithTimeoutCause(r.gctx, t, &TimeoutError{Step: n.s.ID, After: t})
	}
	defer cancel()
	lf := r.opts.Run.Log(n.s.ID, a)
	defer lf.Close()
	var lw io.Writer = lf
	if r.opts.Redactor.Len() > 0 {
		rw := r.opts.Redactor.Writer(lf)
		defer rw.Flush()
		lw = rw
	}
	type result struct {
		out steps.Outputs
		err error
	}
	ch := make(chan result, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				ch <- result{err: fmt.Errorf("kind %s panicked: %v", n.s.Kind, p)}
			}
		}()
		out, err := n.kind.Run(ctx, r.env(n, a, lw), cfg)
		ch <- result{out, err}
	}()
	var res result
	select {
	case res = <-ch:
	case <-r.gctx.Done():
		t := time.NewTimer(r.opts.Grace)
		select {
		case res = <-ch:
		case <-t.C:
			res.err = fmt.Errorf("cancelled; did not stop within %s", r.opts.Grace)
		}
		t.Stop()
	}
	if res.err != nil {
		if ctx.Err() != nil && r.gctx.Err() == nil {
			res.err = fmt.Errorf("%w (%v)", context.Cause(ctx), res.err)
		}
		fmt.Fprintf(lw, "planrun: attempt %d failed: %v\n", a, res.err)
		return nil, res.err
	}
	if err := checkJSON(res.out); err != nil {
		return nil, fmt.Errorf("outputs are not JSON: %w", err)
	}
	return res.out, nil
}

func (r *runner) env(n *node, a int, log io.Writer) *steps.Env {
	return &steps.Env{
		StepID: n.s.ID, Attempt: a, BaseDir: r.p.BaseDir, WorkDir: r.opts.WorkDir,
		Hosts: r.opts.Hosts, Log: log, Logger: r.stepLogger(n, a),
		Progress: &stepProgress{step: n.s.ID, obs: r.opts.Observer}, Redactor: r.opts.Redactor,
	}
}

// acquire takes a slot from each of n's pools (sorted), then a global one.
// It returns false if the run is cancelled first.
func (r *runner) acquire(n *node) bool {
	pools := n.limits
	for i, name := range pools {
		if r.pools[name].Acquire(r.gctx, 1) != nil {
			for _, p := range pools[:i] {
				r.pools[p].Release(1)
			}
			return false
		}
	}
	if r.global.Acquire(r.gctx, 1) != nil {
		for _, p := range pools {
			r.pools[p].Release(1)
		}
		return false
	}
	return true
}

func (r *runner) release(n *node) {
	r.global.Release(1)
	for _, p := range n.limits {
		r.pools[p].Release(1)
	}
}

// stepLogger is the run's logger with the step and attempt attached (the
// shared discarding logger when the run has none).
func (r *runner) stepLogger(n *node, a int) *slog.Logger {
	if r.opts.Logger == nil {
		return r.logger
	}
	return r.logger.With("step", n.s.ID, "attempt", a)
}

// checkJSON reports whether outputs can be recorded: the JSON value types
// pass at once; anything else must marshal.
func checkJSON(out steps.Outputs) error {
	var walk func(v any) bool
	walk = func(v any) bool {
		switch x := v.(type) {
		case nil, string, bool, int, int64, float64, json.Number:
			return true
		case map[string]any:
			for _, e := range x {
				if !walk(e) {
					return false
				}
			}
			return true
		case []any:
			for _, e := range x {
				if !walk(e) {
					return false
				}
			}
			return true
		}
		return false
	}
	for _, v := range out {
		if !walk(v) {
			_, err := json.Marshal(out)
			return err
		}
	}
	return nil
}

// resumeCommand is how advice names the resume of this run's state.
func (r *runner) resumeCommand() string {
	if r.opts.ResumeCommand != "" {
		return r.opts.ResumeCommand
	}
	return "planrun resume"
}

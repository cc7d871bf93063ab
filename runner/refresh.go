package runner

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/planrun/planrun/runner/checkpoint"
	"github.com/planrun/planrun/steps"
)

// Reasons a step already done runs again under Options.Refresh (on its
// first step_started event).
const (
	ReasonGone    = "refresh: its earlier success is no longer in place"
	ReasonRecheck = "refresh: run again to check it (its kind has no probe)"
)

// RefreshCheck is how a success is checked under Options.Refresh (and by
// `planrun plan --refresh`): the kind's probe, run by probe, decides (not
// done: ReasonGone); an idempotent kind without a probe runs again
// (ReasonRecheck); any other kind is kept unchecked. A probe's Why is
// added to ReasonGone after a colon. rerun is why the step
// runs again, "" to keep it; res.Done says the probe found it in place;
// err is probe's.
func RefreshCheck(k steps.Kind, cfg any, probe func(steps.Prober) (steps.ProbeResult, error)) (rerun string, res steps.ProbeResult, err error) {
	prober, ok := k.(steps.Prober)
	switch {
	case ok:
		if res, err = probe(prober); err == nil && !res.Done {
			rerun = ReasonGone
			if res.Why != "" {
				rerun += ": " + res.Why
			}
		}
	case steps.IsIdempotent(k, cfg):
		rerun = ReasonRecheck
	}
	return rerun, res, err
}

// keepDone carries n's earlier success (same fingerprint) over. Under
// Options.Refresh, and when check is set, it first checks that the
// success still holds: the kind's probe decides, an idempotent kind
// without a probe runs again, any other kind is kept. kept is false when
// n should run; err is fatal to the run.
func (r *runner) keepDone(n *node, cfg any, fp string, check bool) (kept bool, err error) {
	pr := n.prior
	out := steps.Outputs(pr.Outputs)
	checked := false
	if r.opts.Refresh && check {
		settled := false
		rerun, res, err := RefreshCheck(n.kind, cfg, func(p steps.Prober) (steps.ProbeResult, error) {
			res, s, err := r.probeDone(n, p, cfg, fp)
			settled = s
			return res, err
		})
		switch {
		case settled || err != nil:
			return true, err
		case rerun != "":
			n.rerun = rerun
			return false, nil
		case res.Done && res.Outputs != nil && !SameOutputs(res.Outputs, out):
			// In place, but not as recorded (a transfer's source and
			// destination both changed): its new outputs count, and
			// what uses them runs again.
			up := r.fresh(res.Outputs)
			e := r.event(n, checkpoint.StepSucceeded, pr.Attempt)
			e.Reason, e.Fingerprint, e.Outputs, e.Redacted = checkpoint.ReasonProbed, fp, res.Outputs, up.Redacted
			if err := r.j.record(e); err != nil {
				return true, err
			}
			return true, r.finish(n, stateSucceeded, up, "")
		}
		checked = res.Done
	}
	// A resume records nothing for a success of its own run it keeps,
	// unless it was refreshed: then every step has an event in the run. A
	// success from an earlier run is recorded, as apply records it.
	if !r.inRun(n) || r.opts.Refresh {
		e := r.event(n, checkpoint.StepSkipped, 0)
		e.Reason, e.Fingerprint, e.Outputs, e.Redacted = checkpoint.ReasonAlreadyDone, fp, out, pr.Redacted
		// Lost in a crash, it is found again: no need to wait.
		if err := r.j.write(e); err != nil {
			return true, err
		}
	}
	r.mu.Lock()
	n.checked = checked
	r.mu.Unlock()
	return true, r.finish(n, stateDone, Recorded(pr), "")
}

// probeDone runs n's probe on its recorded success, in a slot, once what
// n needs is durable. settled is true when n is settled without a result
// (the run is interrupted: n stays pending; the probe failed: n failed).
func (r *runner) probeDone(n *node, prober steps.Prober, cfg any, fp string) (res steps.ProbeResult, settled bool, err error) {
	pr := n.prior
	if err := r.j.record(); err != nil {
		return res, true, err
	}
	if !r.acquire(n) {
		r.leavePending(n)
		return res, true, nil
	}
	res, perr := prober.Probe(r.gctx, r.env(n, pr.Attempt, io.Discard), cfg, pr.Outputs)
	r.release(n)
	if r.ctx.Err() != nil {
		r.leavePending(n)
		return res, true, nil
	}
	if perr != nil {
		msg := stepError(n.s, fmt.Errorf("refresh: check that its earlier success is still in place: %w", perr))
		return res, true, r.fail(n, pr.Attempt, fp, msg, "")
	}
	return res, false, nil
}

// SameOutputs compares outputs as they are recorded (JSON: a probe's
// int64 and a decoded float64 of the same count are equal).
func SameOutputs(a, b steps.Outputs) bool {
	ja, erra := json.Marshal(a)
	jb, errb := json.Marshal(b)
	return erra == nil && errb == nil && string(ja) == string(jb)
}

package runner

import (
	"fmt"
	"strings"
	"time"
)

// Run statuses (run_finished events, Summary.Status).
const (
	StatusOK          = "ok"
	StatusFailed      = "failed"
	StatusInterrupted = "interrupted"
)

// Summary is how a run ended.
type Summary struct {
	Status string
	// Ok counts steps that succeeded in this run; AlreadyDone those whose
	// earlier success was kept.
	Ok, AlreadyDone, Failed, Skipped, Interrupted int
	// Under Options.Refresh: Checked counts the steps already done whose
	// probe found them still in place (they count in AlreadyDone too),
	// Redone those that ran again (their success was gone, or their kind
	// has no probe).
	Checked, Redone int
	// NotRun counts steps that never started because the run was
	// interrupted; resume runs them.
	NotRun int
	// LeftOut counts steps not selected (--only): they keep their state.
	LeftOut int
	// Items counts batch items: all of an item's steps ok; one failed
	// (or skipped after a failure); or, none failed, one interrupted or
	// not run (unfinished).
	ItemsOk, ItemsFailed, ItemsUnfinished int
	// Errors are the failed steps' messages, in plan order.
	Errors []string
	// Unchecked are the failed steps whose last outcome is unknown: a
	// plain resume fails them again until someone checks whether they
	// took effect and runs them with --from.
	Unchecked []string
	Duration  time.Duration
}

// String is the one-line summary: "N steps ok, M failed, K skipped" and,
// for batches, "; items: N ok, M failed".
func (s *Summary) String() string {
	var b strings.Builder
	if n := s.Ok + s.AlreadyDone; n == 1 {
		b.WriteString("1 step ok")
	} else {
		fmt.Fprintf(&b, "%d steps ok", n)
	}
	if s.AlreadyDone > 0 {
		fmt.Fprintf(&b, " (%d already done)", s.AlreadyDone)
	}
	fmt.Fprintf(&b, ", %d failed, %d skipped", s.Failed, s.Skipped)
	if s.Interrupted > 0 || s.NotRun > 0 {
		fmt.Fprintf(&b, ", %d interrupted, %d not started", s.Interrupted, s.NotRun)
	}
	if s.ItemsOk+s.ItemsFailed+s.ItemsUnfinished > 0 {
		fmt.Fprintf(&b, "; items: %d ok, %d failed", s.ItemsOk, s.ItemsFailed)
		if s.ItemsUnfinished > 0 {
			fmt.Fprintf(&b, ", %d unfinished", s.ItemsUnfinished)
		}
	}
	if s.LeftOut > 0 {
		fmt.Fprintf(&b, "; %d left out by --only", s.LeftOut)
	}
	return b.String()
}

func (r *runner) summary() *Summary {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := &Summary{}
	// An item is as bad as its worst step: 0 ok, 1 unfinished, 2 failed.
	itemWorst := map[string]int{}
	var items []string
	for _, n := range r.order {
		if !n.selected {
			s.LeftOut++
			continue
		}
		worst := 1 // not run
		if n.rerun != "" && n.state != statePending {
			s.Redone++
		}
		switch n.state {
		case stateSucceeded:
			s.Ok++
			worst = 0
		case stateDone:
			s.AlreadyDone++
			worst = 0
			if n.checked {
				s.Checked++
			}
		case stateFailed:
			s.Failed++
			s.Errors = append(s.Errors, n.err)
			if n.unknown {
				s.Unchecked = append(s.Unchecked, n.s.ID)
			}
			worst = 2
		case stateSkipped:
			s.Skipped++
			worst = 2
		case stateInterrupted:
			s.Interrupted++
		default:
			s.NotRun++
		}
		if n.s.Batch != "" {
			key := n.s.Batch + "\x00" + n.s.Item
			prev, seen := itemWorst[key]
			if !seen {
				items = append(items, key)
			}
			itemWorst[key] = max(prev, worst)
		}
	}
	for _, k := range items {
		switch itemWorst[k] {
		case 0:
			s.ItemsOk++
		case 1:
			s.ItemsUnfinished++
		default:
			s.ItemsFailed++
		}
	}
	switch {
	case r.ctx.Err() != nil && (s.Interrupted > 0 || s.NotRun > 0):
		s.Status = StatusInterrupted
	case s.Failed > 0 || s.Skipped > 0 || s.Interrupted > 0 || s.NotRun > 0:
		s.Status = StatusFailed
	default:
		s.Status = StatusOK
	}
	return s
}

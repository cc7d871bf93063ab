package view

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/planrun/planrun/runner/checkpoint"
)

// Step outcomes as Summary counts them.
const (
	OutcomeOK          = "ok"
	OutcomeFailed      = "failed"
	OutcomeSkipped     = "skipped"
	OutcomeInterrupted = "interrupted"
	OutcomeUnknown     = "unknown" // started, no result
)

// Summary accumulates a run's outcome from its events: step counts, batch
// items, and what moved where. It is an Observer, safe for concurrent use;
// feed it every event (or a whole events.jsonl) and read it at the end.
// The latest event of a step wins, so replaying several runs of one state
// directory gives the state after the last.
type Summary struct {
	mu      sync.Mutex
	steps   map[string]*stepOutcome
	order   []string
	run     string
	status  string
	elapsed time.Duration
	leftOut int // steps --only left out of the session
}

// SetLeftOut records how many steps --only left out of the session (they
// keep their state); the line says so.
func (s *Summary) SetLeftOut(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.leftOut = n
}

type stepOutcome struct {
	id, kind, host, batch, item string
	outcome                     string
	done                        bool // skipped because already done
	outputs                     map[string]any
}

// NewSummary returns an empty Summary.
func NewSummary() *Summary { return &Summary{steps: map[string]*stepOutcome{}} }

// Summarize builds a Summary from recorded events.
func Summarize(events []checkpoint.Event) *Summary {
	s := NewSummary()
	for _, e := range events {
		s.Event(e)
	}
	return s
}

// Event records e.
func (s *Summary) Event(e checkpoint.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch e.Type {
	case checkpoint.RunStarted:
		s.run, s.status = e.Run, ""
		return
	case checkpoint.RunFinished:
		s.status = e.Status
		s.elapsed = time.Duration(e.DurationMS) * time.Millisecond
		return
	}
	if e.Step == "" {
		return
	}
	o := s.steps[e.Step]
	if o == nil {
		o = &stepOutcome{id: e.Step}
		s.steps[e.Step] = o
		s.order = append(s.order, e.Step)
	}
	o.kind, o.host, o.batch, o.item = or(e.Kind, o.kind), or(e.Host, o.host), or(e.Batch, o.batch), or(e.Item, o.item)
	switch e.Type {
	case checkpoint.StepStarted, checkpoint.AttemptFailed:
		o.outcome = OutcomeUnknown
	case checkpoint.StepSucceeded:
		o.outcome, o.outputs = OutcomeOK, e.Outputs
	case checkpoint.StepFailed:
		o.outcome = OutcomeFailed
	case checkpoint.StepInterrupted:
		o.outcome = OutcomeInterrupted
	case checkpoint.StepSkipped:
		o.outcome = OutcomeSkipped
		// A success carried over from an earlier run (resume) is done,
		// not skipped: it counts as ok, also for its batch item.
		o.done = e.Reason == checkpoint.ReasonAlreadyDone
		if len(e.Outputs) > 0 {
			o.outputs = e.Outputs
		}
	}
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Progress is ignored.
func (s *Summary) Progress(string, int64, int64) {}

// Counts is what a Summary found.
type Counts struct {
	// OK counts steps that succeeded in this run, AlreadyDone those whose
	// earlier success was kept (step_skipped with reason "already done");
	// Skipped counts the other skips (upstream failed, run stopping).
	Steps, OK, AlreadyDone, Failed, Skipped, Interrupted, Unknown int
	// Batch items (a batch's copy of its steps for one item). An item is
	// ok when every step succeeded or was already done, failed when a
	// step failed, and unfinished (ItemsNotRun) otherwise: a step
	// interrupted, skipped or not run.
	Items, ItemsOK, ItemsFailed, ItemsNotRun int
}

// Counts returns the step and item counts.
func (s *Summary) Counts() Counts {
	s.mu.Lock()
	defer s.mu.Unlock()
	var c Counts
	type key struct{ batch, item string }
	items := map[key]string{}
	var itemOrder []key
	for _, id := range s.order {
		o := s.steps[id]
		c.Steps++
		switch o.outcome {
		case OutcomeOK:
			c.OK++
		case OutcomeFailed:
			c.Failed++
		case OutcomeSkipped:
			if o.done {
				c.AlreadyDone++
			} else {
				c.Skipped++
			}
		case OutcomeInterrupted:
			c.Interrupted++
		default:
			c.Unknown++
		}
		if o.item == "" {
			continue
		}
		k := key{o.batch, o.item}
		st, seen := items[k]
		if !seen {
			itemOrder = append(itemOrder, k)
			st = OutcomeOK
		}
		switch {
		case o.outcome == OutcomeFailed:
			st = OutcomeFailed
		case st == OutcomeFailed:
		case o.outcome == OutcomeOK || o.outcome == OutcomeSkipped && o.done:
		default:
			st = OutcomeSkipped
		}
		items[k] = st
	}
	for _, k := range itemOrder {
		c.Items++
		switch items[k] {
		case OutcomeOK:
			c.ItemsOK++
		case OutcomeFailed:
			c.ItemsFailed++
		default:
			c.ItemsNotRun++
		}
	}
	return c
}

// Moved is one step that moved or produced files.
type Moved struct {
	Step, Kind, Host string
	Path, Zip        string
	Files, Bytes     int64
	SHA256           string
}

// Moved lists, in event order, the finished steps whose outputs include
// path (or dir), zip, files, bytes or sha256.
func (s *Summary) Moved() []Moved {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Moved
	for _, id := range s.order {
		o := s.steps[id]
		if o.outputs == nil || (o.outcome != OutcomeOK && o.outcome != OutcomeSkipped) {
			continue
		}
		m := Moved{Step: o.id, Kind: o.kind, Host: o.host, Files: -1, Bytes: -1}
		m.Path, _ = o.outputs["path"].(string)
		if m.Path == "" { // an import names the model directory it filled
			m.Path, _ = o.outputs["dir"].(string)
		}
		m.Zip, _ = o.outputs["zip"].(string)
		m.SHA256, _ = o.outputs["sha256"].(string)
		if n, ok := toInt64(o.outputs["files"]); ok {
			m.Files = n
		}
		if n, ok := toInt64(o.outputs["bytes"]); ok {
			m.Bytes = n
		}
		if m.Path == "" && m.Zip == "" && m.SHA256 == "" && m.Files < 0 && m.Bytes < 0 {
			continue
		}
		out = append(out, m)
	}
	return out
}

// String is the one-line description of a Moved entry:
// "copy-guest (transfer, host old-guest) → work/guest: 3 files, 1.2 MiB, sha256 1a2b3c4d5e6f".
func (m Moved) String() string {
	var b strings.Builder
	b.WriteString(stepLabel(m.Step, m.Kind, m.Host, ""))
	b.WriteString(" →")
	var parts []string
	if m.Path != "" {
		b.WriteString(" " + m.Path)
	}
	if m.Zip != "" {
		if m.Path != "" {
			parts = append(parts, "zip "+m.Zip)
		} else {
			b.WriteString(" " + m.Zip)
		}
	}
	if m.Files >= 0 {
		parts = append(parts, Plural(m.Files, "file"))
	}
	if m.Bytes >= 0 {
		parts = append(parts, formatBytes(m.Bytes))
	}
	if m.SHA256 != "" {
		parts = append(parts, "sha256 "+short(m.SHA256, 12))
	}
	if len(parts) > 0 {
		b.WriteString(": " + strings.Join(parts, ", "))
	}
	return b.String()
}

// Plural is "1 word" or "N words".
func Plural(n int64, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func short(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// Line is the headline: "5 steps ok (2 already done), 1 failed, 2 skipped"
// (already done, interrupted and unfinished appear only when non-zero),
// followed on a second line by "items: 49 ok, 1 failed" when the run had
// batch items.
func (s *Summary) Line() string {
	c := s.Counts()
	line := Plural(int64(c.OK+c.AlreadyDone), "step") + " ok"
	if c.AlreadyDone > 0 {
		line += fmt.Sprintf(" (%d already done)", c.AlreadyDone)
	}
	line += fmt.Sprintf(", %d failed, %d skipped", c.Failed, c.Skipped)
	if c.Interrupted > 0 {
		line += fmt.Sprintf(", %d interrupted", c.Interrupted)
	}
	if c.Unknown > 0 {
		line += fmt.Sprintf(", %d unfinished", c.Unknown)
	}
	s.mu.Lock()
	leftOut := s.leftOut
	s.mu.Unlock()
	if leftOut > 0 {
		line += fmt.Sprintf("; %d left out by --only", leftOut)
	}
	if c.Items > 0 {
		line += fmt.Sprintf("\nitems: %d ok, %d failed", c.ItemsOK, c.ItemsFailed)
		if c.ItemsNotRun > 0 {
			line += fmt.Sprintf(", %d unfinished", c.ItemsNotRun)
		}
	}
	return line
}

// MaxMovedLines caps the "moved" section of a rendered summary.
const MaxMovedLines = 50

// Render writes the summary: the headline, the run's status and time when
// known, and the "moved" section.
func (s *Summary) Render(w io.Writer) error {
	var b strings.Builder
	b.WriteString("\n")
	s.mu.Lock()
	run, status, elapsed := s.run, s.status, s.elapsed
	s.mu.Unlock()
	if status != "" {
		fmt.Fprintf(&b, "run %s %s", run, status)
		if elapsed > 0 {
			fmt.Fprintf(&b, " in %s", formatDuration(elapsed))
		}
		b.WriteString("\n")
	}
	b.WriteString(s.Line() + "\n")
	if moved := s.Moved(); len(moved) > 0 {
		b.WriteString("moved:\n")
		for _, m := range moved[:min(len(moved), MaxMovedLines)] {
			b.WriteString("  " + m.String() + "\n")
		}
		if n := len(moved) - MaxMovedLines; n > 0 {
			fmt.Fprintf(&b, "  … and %d more (planrun status lists every output)\n", n)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

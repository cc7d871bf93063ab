package view

import (
	"encoding/xml"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/planrun/planrun/runner/checkpoint"
)

// JUnit collects a run's events and, on Close, writes a JUnit XML report
// for CI: one testsuite for the plan's own steps and one per batch, one
// testcase per step (classname = the plan or batch name, name = step id),
// <failure> with the error for failed steps, <skipped> with the reason for
// skipped ones, <error> for interrupted or unfinished steps, the outputs
// in <system-out>, times in seconds. The file is written to a temporary name and renamed into place.
type JUnit struct {
	path string
	mu   sync.Mutex
	name string
	// cases in first-seen order, by step id
	cases map[string]*junitCase
	order []string
	start time.Time
	end   time.Time
	// steps the report must list, in plan order (SetSteps)
	want []checkpoint.Event
	// the command stopped before any step ran (Stopped)
	stopStage, stopMsg string
}

type junitCase struct {
	id, batch, item string
	started, ended  time.Time
	durationMS      int64
	state           string // checkpoint event type of the last event
	attempt         int
	message         string
	outputs         map[string]any
}

// NewJUnit returns a JUnit that writes its report to path on Close.
func NewJUnit(path string) *JUnit {
	return &JUnit{path: path, name: "planrun", cases: map[string]*junitCase{}}
}

// SetName sets the plan name used for the plan's suite and classnames
// (default "planrun").
func (j *JUnit) SetName(plan string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if plan != "" {
		j.name = plan
	}
}

// SetSteps names every step the session covers (Step, Batch and Item of
// each): a step that never got an event (the run was interrupted before
// it started) is still listed, as an error "not started".
func (j *JUnit) SetSteps(steps []checkpoint.Event) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.want = steps
}

// Stopped records that the command stopped before any step could run (an
// invalid plan, a locked or damaged state): the report is then the one
// test case stage, an error with msg, so that a CI job shows why.
func (j *JUnit) Stopped(stage, msg string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.stopStage, j.stopMsg = stage, msg
}

// Event records e.
func (j *JUnit) Event(e checkpoint.Event) {
	j.mu.Lock()
	defer j.mu.Unlock()
	switch e.Type {
	case checkpoint.RunStarted:
		if j.start.IsZero() {
			j.start = e.Time
		}
		return
	case checkpoint.RunFinished:
		j.end = e.Time
		return
	}
	if e.Step == "" {
		return
	}
	c := j.cases[e.Step]
	if c == nil {
		c = &junitCase{id: e.Step, batch: e.Batch, item: e.Item}
		j.cases[e.Step] = c
		j.order = append(j.order, e.Step)
	}
	c.state = e.Type
	if e.Attempt > 0 {
		c.attempt = e.Attempt
	}
	switch e.Type {
	case checkpoint.StepStarted:
		if c.started.IsZero() {
			c.started = e.Time
		}
	case checkpoint.AttemptFailed:
	default:
		c.ended, c.durationMS = e.Time, e.DurationMS
		c.message = eventMessage(e)
		c.outputs = e.Outputs
	}
}

// Carry lists e, a success kept from the run resumed, as a test case
// (skipped, already done, as apply lists the steps it carries over).
func (j *JUnit) Carry(e checkpoint.Event) { j.Event(e) }

// Progress is ignored.
func (j *JUnit) Progress(string, int64, int64) {}

type xmlSuites struct {
	XMLName  xml.Name   `xml:"testsuites"`
	Name     string     `xml:"name,attr"`
	Tests    int        `xml:"tests,attr"`
	Failures int        `xml:"failures,attr"`
	Errors   int        `xml:"errors,attr"`
	Skipped  int        `xml:"skipped,attr"`
	Time     string     `xml:"time,attr"`
	Suites   []xmlSuite `xml:"testsuite"`
}

type xmlSuite struct {
	Name      string    `xml:"name,attr"`
	Tests     int       `xml:"tests,attr"`
	Failures  int       `xml:"failures,attr"`
	Errors    int       `xml:"errors,attr"`
	Skipped   int       `xml:"skipped,attr"`
	Time      string    `xml:"time,attr"`
	Timestamp string    `xml:"timestamp,attr,omitempty"`
	Cases     []xmlCase `xml:"testcase"`
}

type xmlCase struct {
	Name      string      `xml:"name,attr"`
	Classname string      `xml:"classname,attr"`
	Time      string      `xml:"time,attr"`
	Failure   *xmlMessage `xml:"failure,omitempty"`
	Error     *xmlMessage `xml:"error,omitempty"`
	Skipped   *xmlMessage `xml:"skipped,omitempty"`
	SystemOut string      `xml:"system-out,omitempty"`
}

type xmlMessage struct {
	Message string `xml:"message,attr,omitempty"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

// notStarted is the state of a step SetSteps names that got no event.
const notStarted = "not_started"

func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", max(d, 0).Seconds()) }

// report builds the XML document from what was recorded.
func (j *JUnit) report() xmlSuites {
	j.mu.Lock()
	defer j.mu.Unlock()
	doc := xmlSuites{Name: j.name}
	if j.stopStage != "" {
		tc := xmlCase{Name: j.stopStage, Classname: j.name, Time: seconds(0),
			Error: &xmlMessage{Message: oneLine(j.stopMsg), Type: "planrun", Text: j.stopMsg}}
		doc.Suites = []xmlSuite{{Name: j.name, Tests: 1, Errors: 1, Time: seconds(0), Cases: []xmlCase{tc}}}
		doc.Tests, doc.Errors, doc.Time = 1, 1, seconds(0)
		return doc
	}
	index := map[string]int{}
	var sums []time.Duration // per suite
	var total time.Duration
	// Steps named but never seen come last, as not started.
	order, cases := slices.Clone(j.order), maps.Clone(j.cases)
	for _, w := range j.want {
		if cases[w.Step] == nil {
			cases[w.Step] = &junitCase{id: w.Step, batch: w.Batch, item: w.Item, state: notStarted}
			order = append(order, w.Step)
		}
	}
	for _, id := range order {
		c := cases[id]
		suite := j.name
		if c.batch != "" {
			suite = c.batch
		}
		i, ok := index[suite]
		if !ok {
			i = len(doc.Suites)
			index[suite] = i
			s := xmlSuite{Name: suite}
			if !c.started.IsZero() {
				s.Timestamp = c.started.UTC().Format("2006-01-02T15:04:05")
			}
			doc.Suites = append(doc.Suites, s)
			sums = append(sums, 0)
		}
		s := &doc.Suites[i]
		d := time.Duration(c.durationMS) * time.Millisecond
		if d == 0 && !c.started.IsZero() && !c.ended.IsZero() {
			d = c.ended.Sub(c.started)
		}
		name := c.id
		tc := xmlCase{Name: name, Classname: suite, Time: seconds(d)}
		if len(c.outputs) > 0 {
			tc.SystemOut = "outputs: " + formatOutputs(c.outputs)
		}
		switch c.state {
		case checkpoint.StepSucceeded:
		case checkpoint.StepFailed:
			tc.Failure = &xmlMessage{Message: oneLine(c.message), Type: "step_failed",
				Text: fmt.Sprintf("step %s failed after %d attempt(s):\n%s", c.id, max(c.attempt, 1), c.message)}
			s.Failures++
		case checkpoint.StepSkipped:
			tc.Skipped = &xmlMessage{Message: oneLine(c.message)}
			s.Skipped++
		case checkpoint.StepInterrupted:
			tc.Error = &xmlMessage{Message: "interrupted", Type: "step_interrupted", Text: c.message}
			s.Errors++
		case notStarted:
			tc.Error = &xmlMessage{Message: "not started: the run ended before it could start (planrun resume runs it)", Type: "not_started"}
			s.Errors++
		default:
			tc.Error = &xmlMessage{Message: "no result recorded", Type: "unfinished"}
			s.Errors++
		}
		s.Cases = append(s.Cases, tc)
		s.Tests++
		sums[i] += d
		total += d
	}
	for i := range doc.Suites {
		s := &doc.Suites[i]
		s.Time = seconds(sums[i])
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Errors += s.Errors
		doc.Skipped += s.Skipped
	}
	if !j.start.IsZero() && !j.end.IsZero() {
		total = j.end.Sub(j.start)
	}
	doc.Time = seconds(total)
	return doc
}

// WriteTo writes the XML report to w.
func (j *JUnit) WriteTo(w io.Writer) (int64, error) {
	out, err := xml.MarshalIndent(j.report(), "", "  ")
	if err != nil {
		return 0, fmt.Errorf("encode junit report: %w", err)
	}
	out = append([]byte(xml.Header), out...)
	out = append(out, '\n')
	n, err := w.Write(out)
	return int64(n), err
}

// Close writes the report to its path (temporary file, then rename).
func (j *JUnit) Close() error {
	dir := filepath.Dir(j.path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(j.path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write junit report %s: %w", j.path, err)
	}
	defer os.Remove(f.Name())
	if _, err := j.WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("write junit report %s: %w", j.path, err)
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return fmt.Errorf("write junit report %s: %w", j.path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write junit report %s: %w", j.path, err)
	}
	if err := os.Rename(f.Name(), j.path); err != nil {
		return fmt.Errorf("write junit report %s: %w", j.path, err)
	}
	return nil
}

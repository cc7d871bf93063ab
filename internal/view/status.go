package view

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Status is what `planrun status` shows about one run, built by the
// command from the checkpoint.
type Status struct {
	Run      string
	Plan     string
	Started  time.Time
	Finished time.Time // zero while running or after a crash
	State    string    // running | ok | failed | interrupted | ...
	Steps    []StepStatus
	// Filter, when set, selects the steps listed (the counts still cover
	// every step).
	Filter *StatusFilter
}

// StatusFilter selects steps by state and by batch item; an empty list
// selects any.
type StatusFilter struct {
	States []string `json:"states,omitempty"`
	Items  []string `json:"items,omitempty"`
}

func (f *StatusFilter) match(st StepStatus) bool {
	return (len(f.States) == 0 || slices.Contains(f.States, st.State)) &&
		(len(f.Items) == 0 || slices.Contains(f.Items, st.Item))
}

// String says what f selects: "failed or skipped, of item guest-9999".
func (f *StatusFilter) String() string {
	var what []string
	if len(f.States) > 0 {
		what = append(what, strings.Join(f.States, " or "))
	}
	if len(f.Items) > 0 {
		what = append(what, "of item "+strings.Join(f.Items, " or "))
	}
	return strings.Join(what, ", ")
}

// shown returns the steps s lists.
func (s Status) shown() []StepStatus {
	if s.Filter == nil {
		return s.Steps
	}
	var out []StepStatus
	for _, st := range s.Steps {
		if s.Filter.match(st) {
			out = append(out, st)
		}
	}
	return out
}

// StepStatus is one step of a Status.
type StepStatus struct {
	ID, Kind, Host, Batch, Item string
	State                       string // pending | running | succeeded | failed | skipped | interrupted | unknown
	Attempts                    int
	// AlreadyDone: the success was carried over from an earlier run (the
	// step did not run in this one).
	AlreadyDone       bool
	Started, Finished time.Time
	Outputs           map[string]any
	Error             string
}

// RenderStatus writes s as an aligned table (step, kind, host, item,
// state, attempts, duration), then the outputs and the last error of each
// step that has them; or, with asJSON, as stable indented JSON (fields in
// a fixed order, output keys sorted, zero times omitted).
func RenderStatus(w io.Writer, s Status, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(statusJSON(s)); err != nil {
			return fmt.Errorf("render status: %w", err)
		}
		return nil
	}
	return statusText(w, s)
}

type jsonStatus struct {
	jsonRun
	// Filter is what selected the steps listed (status --filter, --item);
	// counts cover every step.
	Filter *StatusFilter    `json:"filter,omitempty"`
	Steps  []jsonStepStatus `json:"steps"`
}

type jsonStepStatus struct {
	ID          string         `json:"id"`
	Kind        string         `json:"kind,omitempty"`
	Host        string         `json:"host,omitempty"`
	Batch       string         `json:"batch,omitempty"`
	Item        string         `json:"item,omitempty"`
	State       string         `json:"state"`
	Attempts    int            `json:"attempts"`
	AlreadyDone bool           `json:"already_done,omitempty"`
	Started     *time.Time     `json:"started,omitempty"`
	Finished    *time.Time     `json:"finished,omitempty"`
	DurationMS  int64          `json:"duration_ms,omitempty"`
	Outputs     map[string]any `json:"outputs,omitempty"`
	Error       string         `json:"error,omitempty"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func span(start, end time.Time) time.Duration {
	if start.IsZero() || end.IsZero() {
		return 0
	}
	return end.Sub(start)
}

func statusJSON(s Status) jsonStatus {
	out := jsonStatus{jsonRun: jsonRun{Run: s.Run, Plan: s.Plan, State: s.State,
		Started: timePtr(s.Started), Finished: timePtr(s.Finished),
		DurationMS: span(s.Started, s.Finished).Milliseconds(),
		Counts:     map[string]int{}}, Filter: s.Filter, Steps: []jsonStepStatus{}}
	for _, st := range s.Steps {
		out.Counts[st.State]++
	}
	for _, st := range s.shown() {
		out.Steps = append(out.Steps, jsonStepStatus{ID: st.ID, Kind: st.Kind, Host: st.Host,
			Batch: st.Batch, Item: st.Item, State: st.State, Attempts: st.Attempts, AlreadyDone: st.AlreadyDone,
			Started: timePtr(st.Started), Finished: timePtr(st.Finished),
			DurationMS: span(st.Started, st.Finished).Milliseconds(),
			Outputs:    st.Outputs, Error: st.Error})
	}
	return out
}

// statusText writes:
//
//	run 20261125-193000-ab12  plan party-id-change  failed
//	started 2026-11-25T19:30:00Z  finished 2026-11-25T19:30:20Z  (20.0s)
//	4 steps: 2 succeeded, 1 failed, 1 skipped
//
//	STEP          KIND      HOST       ITEM  STATE      ATTEMPTS  DURATION
//	copy-guest    transfer  old-guest  -     succeeded  1         1.2s
//
//	outputs:
//	  copy-guest: bytes=1234 files=3 path=work/guest sha256=1a2b…
//	errors:
//	  ship-guest (attempt 3): upload model.zip to new-guest: permission denied
//	(planrun logs STEP prints the whole output of a step's last attempt; --all, of every attempt)
func statusText(w io.Writer, s Status) error {
	var b strings.Builder
	fmt.Fprintf(&b, "run %s", s.Run)
	if s.Plan != "" {
		fmt.Fprintf(&b, "  plan %s", s.Plan)
	}
	if s.State != "" {
		fmt.Fprintf(&b, "  %s", s.State)
	}
	b.WriteString("\n")
	if !s.Started.IsZero() {
		fmt.Fprintf(&b, "started %s", timestamp(s.Started))
		if !s.Finished.IsZero() {
			fmt.Fprintf(&b, "  finished %s  (%s)", timestamp(s.Finished), formatDuration(span(s.Started, s.Finished)))
		}
		b.WriteString("\n")
	}
	counts, states := stateCounts(s.Steps)
	fmt.Fprintf(&b, "%s", Plural(int64(len(s.Steps)), "step"))
	for i, st := range states {
		sep := ", "
		if i == 0 {
			sep = ": "
		}
		fmt.Fprintf(&b, "%s%d %s", sep, counts[st], st)
	}
	b.WriteString("\n")
	shown := s.shown()
	if s.Filter != nil {
		fmt.Fprintf(&b, "showing %d of them: %s\n", len(shown), s.Filter)
	}
	b.WriteString("\n")
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("render status: %w", err)
	}

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STEP\tKIND\tHOST\tITEM\tSTATE\tATTEMPTS\tDURATION")
	for _, st := range shown {
		d, a := "-", strconv.Itoa(st.Attempts)
		if !st.Started.IsZero() && !st.Finished.IsZero() {
			d = formatDuration(span(st.Started, st.Finished))
		}
		if st.AlreadyDone {
			d, a = "already done", "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", st.ID, dash(st.Kind), dash(st.Host),
			dash(st.Item), dash(st.State), a, d)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("render status: %w", err)
	}

	b.Reset()
	var outs, errs []string
	for _, st := range shown {
		if len(st.Outputs) > 0 {
			outs = append(outs, "  "+st.ID+": "+formatOutputs(st.Outputs))
		}
		if st.Error != "" {
			errs = append(errs, fmt.Sprintf("  %s (attempt %d): %s", st.ID, max(st.Attempts, 1), oneLine(st.Error)))
		}
	}
	if len(outs) > 0 {
		b.WriteString("\noutputs:\n" + strings.Join(outs, "\n") + "\n")
	}
	if len(errs) > 0 {
		b.WriteString("\nerrors:\n" + strings.Join(errs, "\n") + "\n")
		b.WriteString("(planrun logs STEP prints the whole output of a step's last attempt; --all, of every attempt)\n")
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("render status: %w", err)
	}
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// formatOutputs renders outputs as "k=v" pairs sorted by key, long values
// (a captured stdout) shortened to one line of at most 80 characters (a
// sha256 fits whole).
func formatOutputs(outs map[string]any) string {
	keys := make([]string, 0, len(outs))
	for k := range outs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		var v string
		switch x := outs[k].(type) {
		case string:
			v = x
		default:
			raw, err := json.Marshal(x)
			if err != nil {
				v = fmt.Sprint(x)
			} else {
				v = string(raw)
			}
		}
		v = oneLine(v)
		if r := []rune(v); len(r) > 80 {
			v = string(r[:79]) + "…"
		}
		if v == "" || strings.ContainsAny(v, " \t") {
			v = fmt.Sprintf("%q", v)
		}
		parts = append(parts, k+"="+v)
	}
	return strings.Join(parts, " ")
}

// jsonRun is a run without its steps: status --runs --json lists them.
type jsonRun struct {
	Run        string         `json:"run"`
	Plan       string         `json:"plan,omitempty"`
	State      string         `json:"state"`
	Started    *time.Time     `json:"started,omitempty"`
	Finished   *time.Time     `json:"finished,omitempty"`
	DurationMS int64          `json:"duration_ms,omitempty"`
	Counts     map[string]int `json:"counts"`
}

// RenderRuns writes one line per run (status --runs), oldest first, as a
// table or as a JSON list:
//
//	RUN                      PLAN        STATE   STARTED               DURATION  STEPS
//	20261125T193000.000000Z  migrate-a   failed  2026-11-25T19:30:00Z  20.0s     4: 2 succeeded, 1 failed, 1 skipped
func RenderRuns(w io.Writer, runs []Status, asJSON bool) error {
	if asJSON {
		out := make([]jsonRun, 0, len(runs))
		for _, s := range runs {
			out = append(out, statusJSON(s).jsonRun)
		}
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return fmt.Errorf("render runs: %w", err)
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tPLAN\tSTATE\tSTARTED\tDURATION\tSTEPS")
	for _, s := range runs {
		started, took := "-", "-"
		if !s.Started.IsZero() {
			started = timestamp(s.Started)
		}
		if !s.Finished.IsZero() {
			took = formatDuration(span(s.Started, s.Finished))
		}
		counts, states := stateCounts(s.Steps)
		steps := "-"
		if len(s.Steps) > 0 {
			var parts []string
			for _, st := range states {
				parts = append(parts, fmt.Sprintf("%d %s", counts[st], st))
			}
			steps = fmt.Sprintf("%d: %s", len(s.Steps), strings.Join(parts, ", "))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.Run, cmp.Or(s.Plan, "-"), s.State, started, took, steps)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("render runs: %w", err)
	}
	return nil
}

// stateCounts counts steps by state; states lists the states in the
// order first met.
func stateCounts(steps []StepStatus) (counts map[string]int, states []string) {
	counts = map[string]int{}
	for _, st := range steps {
		if counts[st.State] == 0 {
			states = append(states, st.State)
		}
		counts[st.State]++
	}
	return counts, states
}

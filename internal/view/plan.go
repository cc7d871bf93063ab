package view

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Preview is what `planrun plan` shows: the expanded steps, their
// dependencies and whether each would run or be skipped given the state.
type Preview struct {
	Name  string        `json:"name"`
	Hash  string        `json:"hash"`
	Steps []PreviewStep `json:"steps"`
}

// PreviewStep is one expanded step in a Preview.
type PreviewStep struct {
	ID     string   `json:"id"`
	Kind   string   `json:"kind"`
	Host   string   `json:"host,omitempty"`
	Batch  string   `json:"batch,omitempty"`
	Item   string   `json:"item,omitempty"`
	Needs  []string `json:"needs,omitempty"`
	Action string   `json:"action"` // ActionRun, ActionSkip or ActionOut
	Reason string   `json:"reason,omitempty"`
}

// Actions of a PreviewStep.
const (
	ActionRun  = "run"
	ActionSkip = "skip"
	ActionOut  = "out" // left out by --only: neither run nor needed
)

// PlanFormats are the formats RenderPlan accepts.
var PlanFormats = []string{"text", "json", "dot", "mermaid"}

// RenderPlan writes p in format: "text" (a list grouped by batch item,
// each step with RUN, SKIP or OUT (reason), kind, host and needs), "json"
// (Preview as indented JSON), "dot" (a Graphviz digraph, steps that do
// not run dashed and grey, one cluster per batch item) or "mermaid"
// (flowchart TD, steps that do not run in class "skip").
func RenderPlan(w io.Writer, format string, p Preview) error {
	var err error
	switch format {
	case "text":
		err = planText(w, p)
	case "json":
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if p.Steps == nil {
			p.Steps = []PreviewStep{}
		}
		err = enc.Encode(p)
	case "dot":
		err = planDot(w, p)
	case "mermaid":
		err = planMermaid(w, p)
	default:
		return fmt.Errorf("render plan: unknown format %q (valid: %s)", format, strings.Join(PlanFormats, ", "))
	}
	if err != nil {
		return fmt.Errorf("render plan as %s: %w", format, err)
	}
	return nil
}

// counts returns how many steps run, are skipped and are left out.
func (p Preview) counts() (run, skip, out int) {
	for _, s := range p.Steps {
		switch s.Action {
		case ActionSkip:
			skip++
		case ActionOut:
			out++
		default:
			run++
		}
	}
	return run, skip, out
}

// planText writes:
//
//	plan party-id-change (sha256 1a2b3c4d5e6f): 5 steps, 3 to run, 2 to skip
//
//	  RUN   copy-guest     transfer  old-guest
//	  SKIP  migrate-guest  migrate   local      needs copy-guest  (already done)
//	batch models, item m1:
//	  RUN   m1-copy        transfer  old-guest
func planText(w io.Writer, p Preview) error {
	run, skip, out := p.counts()
	name := p.Name
	if name == "" {
		name = "(unnamed)"
	}
	fmt.Fprintf(w, "plan %s", name)
	if p.Hash != "" {
		fmt.Fprintf(w, " (sha256 %s)", short(strings.TrimPrefix(p.Hash, "sha256:"), 12))
	}
	fmt.Fprintf(w, ": %s, %d to run, %d to skip", Plural(int64(len(p.Steps)), "step"), run, skip)
	if out > 0 {
		fmt.Fprintf(w, ", %d left out by --only", out)
	}
	fmt.Fprintln(w)
	rows := make([][6]string, len(p.Steps))
	var width [6]int
	for i, s := range p.Steps {
		action, note := strings.ToUpper(s.Action), ""
		if s.Reason != "" {
			note = "(" + oneLine(s.Reason) + ")"
		}
		needs := ""
		if len(s.Needs) > 0 {
			needs = "needs " + strings.Join(s.Needs, ", ")
		}
		rows[i] = [6]string{action, s.ID, s.Kind, dash(s.Host), needs, note}
		for c, cell := range rows[i] {
			width[c] = max(width[c], utf8.RuneCountInString(cell))
		}
	}
	var b strings.Builder
	group := "\x00"
	for i, s := range p.Steps {
		if g := s.Batch + "\x00" + s.Item; g != group {
			group = g
			switch {
			case s.Batch != "" && s.Item != "":
				fmt.Fprintf(&b, "batch %s, item %s:\n", s.Batch, s.Item)
			case s.Batch != "":
				fmt.Fprintf(&b, "batch %s:\n", s.Batch)
			case s.Item != "":
				fmt.Fprintf(&b, "item %s:\n", s.Item)
			default:
				b.WriteString("\n")
			}
		}
		line := ""
		for c, cell := range rows[i] {
			line += "  " + cell + strings.Repeat(" ", width[c]-utf8.RuneCountInString(cell))
		}
		b.WriteString(strings.TrimRight(line, " ") + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

package plan

import (
	"fmt"
	"time"

	"github.com/planrun/planrun/hosts"
)

// Plan is a loaded, validated and expanded plan: what the runner executes
// and what is frozen into runs/<id>/plan.json. It round-trips through JSON.
type Plan struct {
	Version int    `json:"version"`
	Name    string `json:"name,omitempty"`
	// File is the plan file the plan was loaded from; BaseDir is its
	// directory, which relative local paths resolve against.
	File    string `json:"file,omitempty"`
	BaseDir string `json:"base_dir,omitempty"`
	// StateDir is the state directory (absolute) the run was started
	// in, set when it is frozen: if that directory has moved when the
	// run resumes, the plan's directory is looked for at the same place
	// relative to it (see Relocate).
	StateDir string                `json:"state_dir,omitempty"`
	Vars     map[string]string     `json:"vars,omitempty"`
	Hosts    map[string]hosts.Spec `json:"hosts,omitempty"`
	Limits   map[string]int        `json:"limits,omitempty"`
	// Steps are the expanded steps (batches repeated per item), in file order.
	Steps []*Step `json:"steps"`
	// Hash is the sha256 of the expanded plan (structure and parameters).
	Hash string `json:"hash"`
}

// Step is one expanded step.
type Step struct {
	ID   string `json:"id"`
	Kind string `json:"kind"`
	// With is the step's `with:` block as generic YAML values, with vars and
	// item already substituted; ${{ steps.* }} and ${{ env.* }} expressions
	// stay as text until run time.
	With map[string]any `json:"with,omitempty"`
	// Needs are every dependency: explicit `needs:` plus the steps that
	// expressions reference, deduplicated, in first-seen order.
	Needs []string `json:"needs,omitempty"`
	// Limits are the named `limits:` pools the step takes a slot from.
	Limits  []string `json:"limits,omitempty"`
	Retry   Retry    `json:"retry"`
	Timeout Duration `json:"timeout,omitempty"`
	// Host is the host the step mainly works on (for messages), if known.
	Host string `json:"host,omitempty"`
	// Batch and Item identify a batch block and the item this copy is for.
	Batch string `json:"batch,omitempty"`
	Item  string `json:"item,omitempty"`
	// Pos is where the step is defined.
	Pos Pos `json:"pos"`
}

// Retry is a step's retry policy: Attempts tries in all (1 = no retry),
// exponential backoff from Backoff with full jitter, capped at MaxBackoff.
type Retry struct {
	Attempts   int      `json:"attempts"`
	Backoff    Duration `json:"backoff,omitempty"`
	MaxBackoff Duration `json:"max_backoff,omitempty"`
}

// Pos is a position in a plan file.
type Pos struct {
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	Col  int    `json:"col,omitempty"`
}

func (p Pos) String() string { return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col) }

// Duration is a time.Duration that reads and writes as "30s" in JSON.
type Duration time.Duration

func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

package view

import (
	"fmt"
	"io"
	"os"

	"github.com/planrun/planrun/runner/checkpoint"
	"golang.org/x/term"
)

// Observer receives a run's state changes and byte progress. It matches
// the runner's observer interface.
type Observer interface {
	// Event is called for every state change, in order, after it is
	// durably recorded.
	Event(e checkpoint.Event)
	// Progress reports byte progress of a running step; it may be called
	// very often and from many goroutines.
	Progress(step string, done, total int64)
}

// Output is an Observer that writes somewhere and must be closed when the
// run ends (to stop rendering, print the summary, write the report).
type Output interface {
	Observer
	Close() error
}

// Carrier is an Output told of a success that a resume keeps from the
// run it continues, which no event of this session records (apply records
// each as already done): it counts in the summary and the report, and
// prints no line (the event stream, --output json, has no Carry: it
// mirrors the state directory).
type Carrier interface {
	Carry(e checkpoint.Event)
}

// Output formats accepted by ForWriter (the --output flag).
const (
	FormatText = "text"
	FormatJSON = "json"
)

// ForWriter returns the Output for w and the --output format: for "text",
// the live view when w is a terminal that can move its cursor (TERM is
// not "dumb") and Lines otherwise; for "json", NDJSON events. opts
// configures the live view.
func ForWriter(w io.Writer, format string, opts LiveOptions) (Output, error) {
	switch format {
	case FormatText, "":
		if IsTerminal(w) && os.Getenv("TERM") != "dumb" {
			return NewLive(w, opts), nil
		}
		return NewLines(w), nil
	case FormatJSON:
		return NewJSON(w), nil
	}
	return nil, CheckFormat(format)
}

// CheckFormat says whether ForWriter takes format ("" counts as text).
func CheckFormat(format string) error {
	switch format {
	case FormatText, FormatJSON, "":
		return nil
	}
	return fmt.Errorf("choose output format %q: want %s or %s", format, FormatText, FormatJSON)
}

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// ColorAllowed reports whether colours may be used, from the environment:
// not when NO_COLOR is set to a non-empty value (https://no-color.org) or
// TERM is "dumb". getenv is os.Getenv in production.
func ColorAllowed(getenv func(string) string) bool {
	return getenv("NO_COLOR") == "" && getenv("TERM") != "dumb"
}

// Multi returns an Output that passes every call to each of obs in order
// (nil entries are dropped). Close closes each of obs that has a
// Close() error method and returns the first error.
func Multi(obs ...Observer) Output {
	m := make(multi, 0, len(obs))
	for _, o := range obs {
		if o != nil {
			m = append(m, o)
		}
	}
	return m
}

type multi []Observer

func (m multi) Event(e checkpoint.Event) {
	for _, o := range m {
		o.Event(e)
	}
}

func (m multi) Progress(step string, done, total int64) {
	for _, o := range m {
		o.Progress(step, done, total)
	}
}

func (m multi) Carry(e checkpoint.Event) {
	for _, o := range m {
		if c, ok := o.(Carrier); ok {
			c.Carry(e)
		}
	}
}

func (m multi) Close() error {
	var first error
	for _, o := range m {
		if c, ok := o.(interface{ Close() error }); ok {
			if err := c.Close(); err != nil && first == nil {
				first = err
			}
		}
	}
	return first
}

package checkpoint

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/planrun/planrun/plan"
)

// FormatVersion is the version of the state directory layout this planrun
// writes and reads. A state directory with a greater version was written by
// a newer planrun and is refused with a *FormatError.
const FormatVersion = 1

// Store holds runs and the lock of a state directory. Implementations are
// safe for concurrent use.
type Store interface {
	// Lock takes the state's lock for h. If another holder has it, the
	// error is a *LockedError naming that holder. The lock is released by
	// the returned Unlocker (or when the process dies, for the file store).
	Lock(ctx context.Context, h Holder) (Unlocker, error)
	// BreakLock clears a stale lock and returns who held it (ok is false
	// when no holder was recorded). A lock still held by a live process is
	// not broken: the error is a *LockedError.
	BreakLock(ctx context.Context) (h Holder, ok bool, err error)
	// CreateRun creates a new run called id with the frozen plan p. It
	// fails if the run exists.
	CreateRun(ctx context.Context, id string, p *plan.Plan) (Run, error)
	// OpenRun opens an existing run to append to it. A torn last event
	// (a crash mid-write) is discarded so that appends start on a clean line.
	// It does not check every event (LoadRun does): load a run first.
	OpenRun(ctx context.Context, id string) (Run, error)
	// LoadRun reads a run: its frozen plan and every recorded event. A torn
	// last event is ignored; a corrupted event before it is a *CorruptError.
	// A store that keeps the plan outside this process checks it as
	// plan.DecodeFrozen does: a plan that fails is a *CorruptPlanError.
	LoadRun(ctx context.Context, id string) (*RunData, error)
	// Runs lists the run ids, oldest first.
	Runs(ctx context.Context) ([]string, error)
	// ReadLog returns the log of one attempt of a step.
	ReadLog(ctx context.Context, run, step string, attempt int) ([]byte, error)
}

// Run is an open run that events are appended to. Only the holder of the
// store's lock appends.
type Run interface {
	ID() string
	// Append records evs durably (all or none) before it returns. It sets
	// each event's Version, Run and Seq (consecutive, continuing the run's
	// numbering). One call is one write: callers batch concurrent events
	// into one call (group commit).
	Append(ctx context.Context, evs []Event) error
	// Write appends evs like Append, but returns once they are written
	// (visible to LoadRun, and kept if this process dies) without waiting
	// for them to be durable against a crash of the machine: a later
	// Append or Sync makes them durable, in order, with everything written
	// before them.
	Write(ctx context.Context, evs []Event) error
	// Sync makes every event written so far durable. It may run while
	// other events are written.
	Sync(ctx context.Context) error
	// SetPlan replaces the frozen plan atomically (accepted drift).
	SetPlan(ctx context.Context, p *plan.Plan) error
	// Log opens the log of one attempt of a step for writing. The file is
	// created on the first write, so silent attempts leave no file.
	Log(step string, attempt int) io.WriteCloser
	Close() error
}

// RunData is a loaded run.
type RunData struct {
	ID     string
	Plan   *plan.Plan
	Events []Event
}

// Unlocker releases a lock.
type Unlocker interface {
	Unlock() error
}

// Holder says who holds a state's lock.
type Holder struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	User    string    `json:"user"`
	Started time.Time `json:"started"`
	Command string    `json:"command"`
}

// CurrentHolder describes this process running command.
func CurrentHolder(command string) Holder {
	h := Holder{PID: os.Getpid(), Started: time.Now().UTC().Truncate(time.Second), Command: command}
	h.Host, _ = os.Hostname()
	if u, err := user.Current(); err == nil {
		h.User = u.Username
	}
	return h
}

// String says who holds the lock. The lock file may come from elsewhere
// (a state directory restored from an artifact): a field that holds a
// control character (an escape sequence for the terminal, a line break
// that would fake a line of output) or text that is not UTF-8 is quoted.
func (h Holder) String() string {
	if h.PID == 0 && h.Host == "" {
		return "an unknown holder"
	}
	s := fmt.Sprintf("pid %d on %s", h.PID, printable(h.Host))
	if h.User != "" {
		s += " (user " + printable(h.User) + ")"
	}
	if !h.Started.IsZero() {
		s += " since " + h.Started.Format(time.RFC3339)
	}
	if h.Command != "" {
		s += ": " + printable(h.Command)
	}
	return s
}

// printable is s, or s Go-quoted if it holds anything but printable
// characters and spaces.
func printable(s string) string {
	for _, r := range s {
		if r == utf8.RuneError || (!unicode.IsPrint(r) && r != ' ') {
			return strconv.Quote(s)
		}
	}
	return s
}

// LockedError says the state is locked by another run.
type LockedError struct {
	Dir    string
	Holder Holder
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("state %s is locked by %s; wait for it to finish, or run `planrun unlock` if that process is gone", e.Dir, e.Holder)
}

// FormatError says the state directory was written by a newer planrun.
type FormatError struct {
	Dir       string
	Found     int
	Supported int
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("state %s has format %d, newer than the %d this planrun supports: use a newer planrun", e.Dir, e.Found, e.Supported)
}

// MissingPlanError says a run has events but not the plan it ran (its
// plan.json was lost, say by an artifact upload that left it out), or,
// with Events set, a plan but not its events.
type MissingPlanError struct {
	File   string
	Events bool // File is the events file
}

func (e *MissingPlanError) Error() string {
	if e.Events {
		return fmt.Sprintf("%s is missing: the run's plan is there, but not the events it recorded", e.File)
	}
	return fmt.Sprintf("%s is missing: the run's events are there, but not the plan they belong to", e.File)
}

// CorruptPlanError says a run's frozen plan is not the plan the run
// recorded: it does not decode, its content does not match its hash, or
// its steps break the rules of a plan (see plan.DecodeFrozen).
type CorruptPlanError struct {
	File string
	Err  error
}

func (e *CorruptPlanError) Error() string {
	return fmt.Sprintf("%s: corrupted plan: %v", e.File, e.Err)
}

func (e *CorruptPlanError) Unwrap() error { return e.Err }

// CorruptError says a recorded event cannot be read.
type CorruptError struct {
	File string
	Line int
	Err  error
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("%s:%d: corrupted event: %v", e.File, e.Line, e.Err)
}

func (e *CorruptError) Unwrap() error { return e.Err }

// ErrNoRuns is returned by Latest when the state holds no run.
var ErrNoRuns = errors.New("no run recorded in the state")

// ErrRunNotFound is returned for an unknown run id.
var ErrRunNotFound = errors.New("run not found")

// Latest returns the id of the most recent run.
func Latest(ctx context.Context, s Store) (string, error) {
	ids, err := s.Runs(ctx)
	if err != nil {
		return "", err
	}
	if len(ids) == 0 {
		return "", ErrNoRuns
	}
	return ids[len(ids)-1], nil
}

// NewRunID returns a run id for a run starting at t: sortable by time.
func NewRunID(t time.Time) string {
	return t.UTC().Format("20060102T150405.000000Z")
}

// LogName is the file name of an attempt's log: the step id, then
// .<attempt>.log. An id with characters outside [A-Za-z0-9._-] has them
// replaced by '_' and gets a hash of the whole id after it, so that ids
// differing only there (batch item keys such as 风控-guest and 营销-guest,
// or x@1 and x#1) keep logs of their own; a long id is cut before its
// hash.
func LogName(step string, attempt int) string {
	name, changed := sanitizeID(step)
	if changed || len(name) > maxLogStem {
		sum := sha256.Sum256([]byte(step))
		name = name[:min(len(name), maxLogStem)] + "-" + hex.EncodeToString(sum[:6])
	}
	return fmt.Sprintf("%s.%d.log", name, attempt)
}

// maxLogStem bounds the id part of a log's name (file names are limited
// to 255 bytes).
const maxLogStem = 120

// legacyLogName is LogName before the hash: logs of runs recorded then
// are still read under it.
func legacyLogName(step string, attempt int) string {
	name, _ := sanitizeID(step)
	return fmt.Sprintf("%s.%d.log", name, attempt)
}

// sanitizeID replaces every character of id outside [A-Za-z0-9._-] by
// '_', and says whether it replaced any.
func sanitizeID(id string) (string, bool) {
	var b strings.Builder
	changed := false
	for _, r := range id {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
			changed = true
		}
	}
	return b.String(), changed
}

func validRunID(id string) error {
	if id == "" || id == "." || id == ".." || strings.ContainsAny(id, `/\`) {
		return fmt.Errorf("invalid run id %q", id)
	}
	return nil
}

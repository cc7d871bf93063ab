package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/planrun/planrun/steps"
	"golang.org/x/crypto/scrypt"
)

// Upstream is what Resolve knows of a finished step whose outputs a step
// refers to.
type Upstream struct {
	Outputs steps.Outputs
	// Redacted names the outputs that held a secret, each with its digest
	// (redact.Redactor.Digest): params take the digest, never the value.
	Redacted map[string]string
	// Recorded says Outputs are as the state recorded them, the Redacted
	// ones masked: a step that needs one of those cannot run.
	Recorded bool
}

// Resolve substitutes a step's remaining expressions at run time and
// decodes its `with:` into the kind's typed config. outputs returns what
// is known of a finished step's outputs; getenv looks up environment
// variables (nil means os.LookupEnv). A string that is exactly one
// expression takes the value's own JSON type.
//
// cfg is what the kind runs with. params is the resolved `with:` for
// fingerprints, logs and state: each environment value in it is replaced by
// a digest ("env:NAME:scrypt:HEX"), and each upstream output that held a
// secret by its digest, so secrets never leave cfg.
//
// When the step refers to outputs that held a secret and are only known as
// recorded (masked), the error is a *RedactedOutputError and cfg is nil,
// but params are complete: the fingerprint still says whether the step is
// already done.
func Resolve(s *Step, reg *steps.Registry, outputs func(stepID string) (Upstream, bool), getenv func(string) (string, bool)) (cfg any, params map[string]any, err error) {
	if getenv == nil {
		getenv = os.LookupEnv
	}
	if outputs == nil {
		outputs = func(string) (Upstream, bool) { return Upstream{}, false }
	}
	kind, ok := reg.Lookup(s.Kind)
	if !ok {
		return nil, nil, fmt.Errorf("resolve step %q: unknown kind %q", s.ID, s.Kind)
	}
	var problems []string
	masked := &RedactedOutputError{Step: s.ID}
	lookup := func(forParams bool) func(r ref) (any, bool) {
		return func(r ref) (any, bool) {
			switch r.Scope {
			case "env":
				v, ok := getenv(r.Name)
				if !ok {
					if !forParams {
						problems = append(problems, fmt.Sprintf("environment variable %s is not set", r.Name))
					}
					return nil, false
				}
				if forParams {
					return envDigest(r.Name, v), true
				}
				return v, true
			case "steps":
				up, ok := outputs(r.Step)
				if !ok {
					if !forParams {
						problems = append(problems, fmt.Sprintf("%s: step %q has no recorded outputs", r.Text, r.Step))
					}
					return nil, false
				}
				v, ok := up.Outputs[r.Name]
				if !ok {
					if !forParams {
						problems = append(problems, fmt.Sprintf("%s: step %q has no output %q (outputs: %s)", r.Text, r.Step, r.Name, knownList(keys(up.Outputs))))
					}
					return nil, false
				}
				digest, secret := up.Redacted[r.Name]
				switch {
				case secret && forParams:
					return digest, true
				case secret && up.Recorded:
					masked.add(r)
					return nil, false
				}
				return v, true
			}
			return nil, false
		}
	}
	var with any = map[string]any{}
	if s.With != nil {
		if with, err = substituteAll(s.With, lookup(false)); err != nil {
			problems = append(problems, err.Error())
		}
	}
	p := map[string]any{}
	if s.With != nil {
		m, _ := substituteAll(s.With, lookup(true))
		p = m.(map[string]any)
	}
	if len(problems) > 0 {
		if len(masked.Refs) > 0 {
			problems = append(problems, masked.problem())
		}
		return nil, nil, fmt.Errorf("resolve step %q: %s", s.ID, strings.Join(problems, "; "))
	}
	if len(masked.Refs) > 0 {
		return nil, p, masked
	}
	cfg = kind.NewConfig()
	if errs := decodeInto(with, cfg); len(errs) > 0 {
		msgs := make([]string, len(errs))
		for i, e := range errs {
			msgs[i] = fieldMsg(e.path, e.msg)
		}
		return nil, nil, fmt.Errorf("resolve step %q: %w", s.ID, errors.New(strings.Join(msgs, "; ")))
	}
	return cfg, p, nil
}

// RedactedOutputError says that a step refers to outputs of earlier steps
// that held a secret: the state records them masked, and this process does
// not have their values (the steps that made them did not run in it). The
// step can run once they run again.
type RedactedOutputError struct {
	Step string      // the step resolved
	Refs []OutputRef // in the order of the step's `with:`, each once
}

// OutputRef is one reference to a step's output.
type OutputRef struct {
	Text   string // as written: ${{ steps.ID.outputs.NAME }}
	Step   string
	Output string
}

func (e *RedactedOutputError) add(r ref) {
	for _, o := range e.Refs {
		if o.Step == r.Step && o.Output == r.Name {
			return
		}
	}
	e.Refs = append(e.Refs, OutputRef{Text: r.Text, Step: r.Step, Output: r.Name})
}

// Steps lists the steps whose outputs are missing, sorted.
func (e *RedactedOutputError) Steps() []string {
	var ids []string
	for _, o := range e.Refs {
		ids = append(ids, o.Step)
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

func (e *RedactedOutputError) problem() string {
	msgs := make([]string, len(e.Refs))
	for i, o := range e.Refs {
		msgs[i] = fmt.Sprintf("%s: output %s of step %s held a secret: the state has it only masked, and this run does not have its value",
			o.Text, o.Output, o.Step)
	}
	return strings.Join(msgs, "; ")
}

func (e *RedactedOutputError) Error() string {
	return fmt.Sprintf("resolve step %q: %s", e.Step, e.problem())
}

// envDigest stands for an environment value in params. It is a slow,
// salted hash (scrypt, salted with the variable's name): the value never
// leaves the process, and a fingerprint in the state (a CI artifact, say)
// is no cheap oracle for guessing a weak secret — each guess costs an
// scrypt. Each name and value is hashed once per process.
func envDigest(name, value string) string {
	id := sha256.Sum256([]byte(name + "\x00" + value)) // no plain copy in the cache
	e, _ := envDigests.LoadOrStore(id, &envDigestEntry{})
	d := e.(*envDigestEntry)
	d.once.Do(func() { // steps resolving at once wait for one scrypt
		key, err := scrypt.Key([]byte(value), []byte("planrun env\x00"+name), envScryptN, 8, 1, 32)
		if err != nil { // only for bad parameters, which these are not
			panic(fmt.Sprintf("scrypt: %v", err))
		}
		d.digest = "env:" + name + ":scrypt:" + hex.EncodeToString(key)
	})
	return d.digest
}

type envDigestEntry struct {
	once   sync.Once
	digest string
}

// envScryptN is scrypt's cost: 2^15 (32 MiB, tens of milliseconds).
const envScryptN = 1 << 15

var envDigests sync.Map // sha256(name, value) → *envDigestEntry

// Fingerprint is the sha256 over a step's kind, the kind's version and its
// resolved params (as Resolve returns them: upstream outputs included,
// environment values only as digests). A succeeded step whose fingerprint
// is unchanged need not run again.
func Fingerprint(s *Step, kindVersion int, params map[string]any) string {
	b, err := json.Marshal(struct {
		Kind    string         `json:"kind"`
		Version int            `json:"version"`
		Params  map[string]any `json:"params"`
	}{s.Kind, kindVersion, params})
	if err != nil {
		// params hold decoded YAML and recorded outputs: JSON values.
		b = fmt.Appendf(nil, "%s\x00%d\x00%v", s.Kind, kindVersion, params)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// EnvNames lists the environment variables s's `with:` references
// (${{ env.NAME }}), sorted: what Resolve will need to be set.
func (s *Step) EnvNames() []string {
	seen := map[string]bool{}
	substituteAll(s.With, func(r ref) (any, bool) {
		if r.Scope == "env" {
			seen[r.Name] = true
		}
		return nil, false
	})
	return slices.Sorted(maps.Keys(seen))
}

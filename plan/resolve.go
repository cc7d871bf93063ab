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

// Resolve substitutes a step's remaining expressions at run time and
// decodes its `with:` into the kind's typed config. outputs returns the
// recorded outputs of a finished step; getenv looks up environment
// variables (nil means os.LookupEnv). A string that is exactly one
// expression takes the value's own JSON type.
//
// cfg is what the kind runs with. params is the resolved `with:` for
// fingerprints, logs and state: each environment value in it is replaced by
// a digest ("env:NAME:scrypt:HEX"), so secrets never leave cfg.
func Resolve(s *Step, reg *steps.Registry, outputs func(stepID string) (steps.Outputs, bool), getenv func(string) (string, bool)) (cfg any, params map[string]any, err error) {
	if getenv == nil {
		getenv = os.LookupEnv
	}
	if outputs == nil {
		outputs = func(string) (steps.Outputs, bool) { return nil, false }
	}
	kind, ok := reg.Lookup(s.Kind)
	if !ok {
		return nil, nil, fmt.Errorf("resolve step %q: unknown kind %q", s.ID, s.Kind)
	}
	var problems []string
	lookup := func(masked bool) func(r ref) (any, bool) {
		return func(r ref) (any, bool) {
			switch r.Scope {
			case "env":
				v, ok := getenv(r.Name)
				if !ok {
					if !masked {
						problems = append(problems, fmt.Sprintf("environment variable %s is not set", r.Name))
					}
					return nil, false
				}
				if masked {
					return envDigest(r.Name, v), true
				}
				return v, true
			case "steps":
				outs, ok := outputs(r.Step)
				if !ok {
					if !masked {
						problems = append(problems, fmt.Sprintf("%s: step %q has no recorded outputs", r.Text, r.Step))
					}
					return nil, false
				}
				v, ok := outs[r.Name]
				if !ok && !masked {
					problems = append(problems, fmt.Sprintf("%s: step %q has no output %q (outputs: %s)", r.Text, r.Step, r.Name, knownList(keys(outs))))
				}
				return v, ok
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
		return nil, nil, fmt.Errorf("resolve step %q: %s", s.ID, strings.Join(problems, "; "))
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

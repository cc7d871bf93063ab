package redact

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"sync"

	"golang.org/x/crypto/scrypt"
)

// Held returns the names of the entries of m (a step's outputs) whose
// values hold a secret, sorted.
func (r *Redactor) Held(m map[string]any) []string {
	if r == nil || len(r.secrets) == 0 {
		return nil
	}
	var held []string
	for k, v := range m {
		if _, changed := r.value(v); changed {
			held = append(held, k)
		}
	}
	slices.Sort(held)
	return held
}

// Digest stands for v, a value that holds a secret, where something must
// tell one such value from another without giving the secret away (the
// fingerprint of a step that uses a step's output holding a token, say):
// "redacted:" and a sha256 over v as JSON with each secret in it replaced
// by a salted scrypt digest of the secret. Checking a guess of the secret
// against it costs an scrypt (N=2^15, 32 MiB), as for the digests of
// environment values; everything else in v is in the open anyway, where v
// is recorded redacted. Each secret is hashed once per Redactor.
func (r *Redactor) Digest(v any) string {
	b, err := json.Marshal(r.replaced(v))
	if err != nil { // v holds JSON values: it does not happen
		b = fmt.Appendf(nil, "%v", v)
	}
	sum := sha256.Sum256(b)
	return "redacted:" + hex.EncodeToString(sum[:])
}

// replaced is v with every secret in its strings (keys too) replaced by
// its digest.
func (r *Redactor) replaced(v any) any {
	switch x := v.(type) {
	case string:
		return r.replace(x)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[r.replace(k)] = r.replaced(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = r.replaced(e)
		}
		return out
	case []string:
		out := make([]string, len(x))
		for i, e := range x {
			out[i] = r.replace(e)
		}
		return out
	}
	return v
}

// replace is s with each run of secrets (as String masks it) replaced by
// its digest.
func (r *Redactor) replace(s string) string {
	if r == nil || len(r.secrets) == 0 {
		return s
	}
	spans := r.spans(s, nil)
	if len(spans) == 0 {
		return s
	}
	var b []byte
	prev := 0
	for _, sp := range spans {
		b = append(b, s[prev:sp.start]...)
		b = append(b, r.secretDigest(s[sp.start:sp.end])...)
		prev = sp.end
	}
	return string(append(b, s[prev:]...))
}

type secretDigest struct {
	once sync.Once
	hex  string
}

// digestScryptN is scrypt's cost: 2^15 (32 MiB, tens of milliseconds).
const digestScryptN = 1 << 15

// secretDigest is the salted scrypt digest of secret, as "<scrypt:HEX>".
// Steps finishing at once wait for one scrypt.
func (r *Redactor) secretDigest(secret string) string {
	e, _ := r.digests.LoadOrStore(secret, &secretDigest{})
	d := e.(*secretDigest)
	d.once.Do(func() {
		key, err := scrypt.Key([]byte(secret), []byte("planrun redact\x00"), digestScryptN, 8, 1, 32)
		if err != nil { // only for bad parameters, which these are not
			panic(fmt.Sprintf("scrypt: %v", err))
		}
		d.hex = "<scrypt:" + hex.EncodeToString(key) + ">"
	})
	return d.hex
}

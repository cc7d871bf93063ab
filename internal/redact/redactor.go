package redact

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
)

// Mask replaces every occurrence of a secret.
const Mask = "***"

// MinLen is the shortest secret that is redacted; shorter ones are ignored.
const MinLen = 4

// Redactor replaces known secrets with Mask. Its secrets never change once
// it is made, and it is safe for concurrent use.
type Redactor struct {
	secrets []string // unique, longest first
	maxLen  int
	digests sync.Map // secret → *secretDigest, for Digest
}

// New returns a Redactor for secrets. Empty secrets, secrets shorter than
// MinLen and duplicates are dropped. A secret is also redacted in the forms
// JSON gives it, when they differ (see jsonForms): commands often print
// JSON, and a step's nested outputs are JSON text.
func New(secrets ...string) *Redactor {
	r := &Redactor{}
	for _, s := range secrets {
		if len(s) < MinLen {
			continue
		}
		for _, f := range append([]string{s}, jsonForms(s)...) {
			if slices.Contains(r.secrets, f) {
				continue
			}
			r.secrets = append(r.secrets, f)
			r.maxLen = max(r.maxLen, len(f))
		}
	}
	slices.SortFunc(r.secrets, func(a, b string) int { return len(b) - len(a) })
	return r
}

// jsonForms returns s as it appears inside a JSON string, in each form
// that differs from s: with <, > and & escaped (Go's json.Marshal), with
// only quotes, backslashes and control characters escaped (JavaScript,
// jq, Go without HTML escaping), and that with every non-ASCII character
// escaped too (Python's json.dumps).
func jsonForms(s string) []string {
	plain := jsonString(s, false)
	var forms []string
	for _, f := range []string{jsonString(s, true), plain, asciiOnly(plain)} {
		if f != s && !slices.Contains(forms, f) {
			forms = append(forms, f)
		}
	}
	return forms
}

// jsonString is s encoded as a JSON string, without its quotes.
func jsonString(s string, escapeHTML bool) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(escapeHTML)
	enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(b.String(), "\"\n")[1:]
}

// asciiOnly is s with every non-ASCII character escaped as JSON does
// (\uXXXX, a UTF-16 surrogate pair beyond U+FFFF).
func asciiOnly(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch {
		case c < utf8.RuneSelf:
			b.WriteRune(c)
		case c > 0xFFFF:
			hi, lo := utf16.EncodeRune(c)
			fmt.Fprintf(&b, `\u%04x\u%04x`, hi, lo)
		default:
			fmt.Fprintf(&b, `\u%04x`, c)
		}
	}
	return b.String()
}

// Len reports how many secrets r redacts, counting each JSON form of one.
func (r *Redactor) Len() int {
	if r == nil {
		return 0
	}
	return len(r.secrets)
}

// String returns s with every occurrence of every secret replaced by Mask.
// It returns s itself (no allocation) when s holds no secret.
func (r *Redactor) String(s string) string {
	if r == nil || len(r.secrets) == 0 {
		return s
	}
	spans := r.spans(s, nil)
	if len(spans) == 0 {
		return s
	}
	return string(appendMasked(nil, s, spans))
}

// Cut redacts s, a piece cut out of a longer text: every secret in it, as
// String does, and what the cut left of one at an edge (see Edges).
// Redacting a text before cutting it needs no Cut; a text that was cut
// before it could be redacted (the last megabyte a command printed) does.
func (r *Redactor) Cut(s string, start, end bool) string {
	if r == nil || len(r.secrets) == 0 {
		return s
	}
	spans := r.spans(s, nil)
	spans = merge(append(spans, r.edgeSpans(s, start, end)...))
	if len(spans) == 0 {
		return s
	}
	return string(appendMasked(nil, s, spans))
}

// Edges masks only what a cut left of a secret at the edges of s, a piece
// cut out of a longer text: with start (the text before s was cut off),
// a leading piece of s that is the end of a secret; with end (the text
// after s was cut off), a trailing piece that is the start of one; with
// both, all of s when it lies inside a secret. A piece shorter than MinLen
// is left, as a secret that short is. Whole secrets are left for String:
// a step's outputs keep them until they are recorded.
func (r *Redactor) Edges(s string, start, end bool) string {
	if r == nil || len(r.secrets) == 0 {
		return s
	}
	spans := merge(r.edgeSpans(s, start, end))
	if len(spans) == 0 {
		return s
	}
	return string(appendMasked(nil, s, spans))
}

// edgeSpans returns the spans of s that Edges masks (at most two).
func (r *Redactor) edgeSpans(s string, start, end bool) []span {
	lead, trail := 0, 0
	for _, sec := range r.secrets {
		if start && end && len(s) >= MinLen && len(s) < len(sec) && strings.Contains(sec, s) {
			return []span{{0, len(s)}}
		}
		// Pieces shorter than sec: a whole secret is String's.
		for k := min(len(s), len(sec)-1); k >= MinLen && start && k > lead; k-- {
			if strings.HasSuffix(sec, s[:k]) {
				lead = k
				break
			}
		}
		for k := min(len(s), len(sec)-1); k >= MinLen && end && k > trail; k-- {
			if strings.HasPrefix(sec, s[len(s)-k:]) {
				trail = k
				break
			}
		}
	}
	var spans []span
	if lead > 0 {
		spans = append(spans, span{0, lead})
	}
	if trail > 0 {
		spans = append(spans, span{len(s) - trail, len(s)})
	}
	return spans
}

// span is a half-open byte range [start, end) covered by secrets.
type span struct{ start, end int }

// spans finds every occurrence of every secret in s and returns the merged,
// sorted ranges they cover, appended to dst[:0].
func (r *Redactor) spans(s string, dst []span) []span {
	dst = dst[:0]
	for _, sec := range r.secrets {
		for off := 0; ; {
			i := strings.Index(s[off:], sec)
			if i < 0 {
				break
			}
			dst = append(dst, span{off + i, off + i + len(sec)})
			off += i + 1
		}
	}
	return merge(dst)
}

// merge sorts spans and merges those that overlap or touch, in place.
func merge(spans []span) []span {
	if len(spans) < 2 {
		return spans
	}
	slices.SortFunc(spans, func(a, b span) int { return a.start - b.start })
	merged := spans[:1]
	for _, sp := range spans[1:] {
		last := &merged[len(merged)-1]
		if sp.start <= last.end { // overlapping or adjacent
			last.end = max(last.end, sp.end)
			continue
		}
		merged = append(merged, sp)
	}
	return merged
}

// appendMasked appends s to dst with every span replaced by Mask.
func appendMasked(dst []byte, s string, spans []span) []byte {
	prev := 0
	for _, sp := range spans {
		dst = append(dst, s[prev:sp.start]...)
		dst = append(dst, Mask...)
		prev = sp.end
	}
	return append(dst, s[prev:]...)
}

// Value returns v with every string inside it (in nested maps and lists
// too) redacted. v itself is not modified: a container in which something
// changed is a copy.
func (r *Redactor) Value(v any) any {
	if r == nil || len(r.secrets) == 0 {
		return v
	}
	v, _ = r.value(v)
	return v
}

// value redacts strings inside v (the keys of maps too), copying
// containers only when something inside them changed.
func (r *Redactor) value(v any) (any, bool) {
	switch x := v.(type) {
	case string:
		s := r.String(x)
		return s, s != x
	case map[string]any:
		return r.object(x)
	case []any:
		var out []any
		for i, item := range x {
			nv, changed := r.value(item)
			if !changed {
				continue
			}
			if out == nil {
				out = slices.Clone(x)
			}
			out[i] = nv
		}
		if out == nil {
			return x, false
		}
		return out, true
	case []string:
		var out []string
		for i, item := range x {
			s := r.String(item)
			if s == item {
				continue
			}
			if out == nil {
				out = slices.Clone(x)
			}
			out[i] = s
		}
		if out == nil {
			return x, false
		}
		return out, true
	}
	return v, false
}

// object redacts the keys and values of m. Keys matter as much as values:
// a command's JSON object becomes a step's outputs, named by its keys. Two
// keys that redact alike are told apart by a suffix ("***#2"), keys that
// hold no secret keeping their names.
func (r *Redactor) object(m map[string]any) (map[string]any, bool) {
	var out map[string]any
	var renamed []string // keys that hold a secret
	for k, item := range m {
		if r.String(k) != k {
			renamed = append(renamed, k)
			continue
		}
		nv, changed := r.value(item)
		if !changed {
			continue
		}
		if out == nil {
			out = maps.Clone(m)
		}
		out[k] = nv
	}
	if len(renamed) == 0 {
		if out == nil {
			return m, false
		}
		return out, true
	}
	if out == nil {
		out = maps.Clone(m)
	}
	for _, k := range renamed {
		delete(out, k)
	}
	slices.Sort(renamed)
	for _, k := range renamed {
		nk := r.String(k)
		for i := 2; ; i++ {
			if _, taken := out[nk]; !taken {
				break
			}
			nk = r.String(k) + "#" + strconv.Itoa(i)
		}
		out[nk], _ = r.value(m[k])
	}
	return out, true
}

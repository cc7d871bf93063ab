package checkpoint

import (
	"bytes"
	"encoding/json"
	"maps"
	"strconv"
	"time"
	"unicode/utf8"
)

// decodeEvent decodes one line of events.jsonl into e. Lines as planrun
// writes them (a flat object of known keys, no whitespace, strings without
// escapes) take a fast path that avoids reflection: resume reads tens of
// thousands of them. Anything else, including every malformed line, is
// decoded by encoding/json, so errors and results are the same.
func decodeEvent(b []byte, e *Event) error {
	if fastDecode(b, e) {
		return nil
	}
	*e = Event{}
	return json.Unmarshal(b, e)
}

// fastDecode reports whether it decoded b completely; on false e is garbage.
func fastDecode(b []byte, e *Event) bool {
	d := fastDecoder{b: b}
	if !d.eat('{') {
		return false
	}
	if d.eat('}') {
		return d.i == len(d.b)
	}
	for {
		key, ok := d.raw()
		if !ok || !d.eat(':') {
			return false
		}
		if !d.field(key, e) {
			return false
		}
		if d.eat(',') {
			continue
		}
		return d.eat('}') && d.i == len(d.b)
	}
}

type fastDecoder struct {
	b []byte
	i int
}

func (d *fastDecoder) eat(c byte) bool {
	if d.i < len(d.b) && d.b[d.i] == c {
		d.i++
		return true
	}
	return false
}

// str reads a string without escapes or control characters, valid UTF-8.
func (d *fastDecoder) str() (string, bool) {
	b, ok := d.raw()
	return string(b), ok
}

// raw is str without the copy.
func (d *fastDecoder) raw() ([]byte, bool) {
	if !d.eat('"') {
		return nil, false
	}
	start := d.i
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			s := d.b[start:d.i]
			d.i++
			return s, utf8.Valid(s)
		case c == '\\' || c < 0x20:
			return nil, false
		}
		d.i++
	}
	return nil, false
}

// int reads an integer in JSON's syntax (no leading zeros, no fraction).
func (d *fastDecoder) int() (int64, bool) {
	start := d.i
	d.eat('-')
	digits := d.i
	for d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9' {
		d.i++
	}
	n := d.i - digits
	if n == 0 || (n > 1 && d.b[digits] == '0') {
		return 0, false
	}
	if d.i < len(d.b) && (d.b[d.i] == '.' || d.b[d.i] == 'e' || d.b[d.i] == 'E') {
		return 0, false
	}
	v, err := strconv.ParseInt(string(d.b[start:d.i]), 10, 64)
	return v, err == nil
}

func (d *fastDecoder) field(key []byte, e *Event) bool {
	var ok bool
	switch string(key) {
	case "version":
		var v int64
		v, ok = d.int()
		e.Version = int(v)
	case "seq":
		e.Seq, ok = d.int()
	case "attempt":
		var v int64
		v, ok = d.int()
		e.Attempt = int(v)
	case "duration_ms":
		e.DurationMS, ok = d.int()
	case "duration_us":
		e.DurationUS, ok = d.int()
	case "time":
		var s string
		if s, ok = d.str(); ok {
			t, err := time.Parse(time.RFC3339Nano, s)
			e.Time, ok = t, err == nil
		}
	case "run":
		e.Run, ok = d.str()
	case "type":
		e.Type, ok = d.str()
	case "step":
		e.Step, ok = d.str()
	case "kind":
		e.Kind, ok = d.str()
	case "host":
		e.Host, ok = d.str()
	case "batch":
		e.Batch, ok = d.str()
	case "item":
		e.Item, ok = d.str()
	case "fingerprint":
		e.Fingerprint, ok = d.str()
	case "error":
		e.Error, ok = d.str()
	case "reason":
		e.Reason, ok = d.str()
	case "status":
		e.Status, ok = d.str()
	case "outputs":
		ok = objectField(d, &e.Outputs, (*fastDecoder).flatObject)
	case "redacted":
		ok = objectField(d, &e.Redacted, (*fastDecoder).stringObject)
	}
	return ok
}

// objectField decodes the object at d.i into *dst as encoding/json would:
// with read when it can, else with encoding/json. An object given twice in
// one event adds to the map, as encoding/json does.
func objectField[V any](d *fastDecoder, dst *map[string]V, read func(*fastDecoder) (map[string]V, bool)) bool {
	end := objectEnd(d.b, d.i)
	if end < 0 {
		return false
	}
	raw := d.b[d.i:end]
	d.i = end
	sub := fastDecoder{b: raw}
	m, ok := read(&sub)
	switch {
	case !ok:
		return json.Unmarshal(raw, dst) == nil && *dst != nil
	case *dst == nil:
		*dst = m
	default:
		maps.Copy(*dst, m)
	}
	return true
}

// stringObject reads an object whose values are all strings.
func (d *fastDecoder) stringObject() (map[string]string, bool) {
	flat, ok := d.flatObject()
	if !ok {
		return nil, false
	}
	m := make(map[string]string, len(flat))
	for k, v := range flat {
		s, isStr := v.(string)
		if !isStr {
			return nil, false
		}
		m[k] = s
	}
	return m, true
}

// objectEnd returns the index just past the JSON object starting at i, or
// -1. It only tracks strings and nesting; the object is validated when it
// is decoded.
func objectEnd(b []byte, i int) int {
	if i >= len(b) || b[i] != '{' {
		return -1
	}
	depth := 0
	for ; i < len(b); i++ {
		switch b[i] {
		case '"':
			for i++; i < len(b) && b[i] != '"'; i++ {
				if b[i] == '\\' {
					i++
				}
			}
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i + 1
			}
		}
	}
	return -1
}

// flatObject reads an object whose values are strings, numbers, booleans
// or null (what outputs usually are), as encoding/json would into a map.
func (d *fastDecoder) flatObject() (map[string]any, bool) {
	m := map[string]any{}
	if !d.eat('{') {
		return nil, false
	}
	if d.eat('}') {
		return m, d.i == len(d.b)
	}
	for {
		k, ok := d.str()
		if !ok || !d.eat(':') || d.i >= len(d.b) {
			return nil, false
		}
		var v any
		switch c := d.b[d.i]; {
		case c == '"':
			v, ok = d.str()
		case c == '-' || c >= '0' && c <= '9':
			v, ok = d.number()
		default:
			v, ok = d.literal()
		}
		if !ok {
			return nil, false
		}
		m[k] = v
		if d.eat(',') {
			continue
		}
		return m, d.eat('}') && d.i == len(d.b)
	}
}

// number reads a JSON number as a float64.
func (d *fastDecoder) number() (float64, bool) {
	start := d.i
	d.eat('-')
	digits := d.i
	for d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9' {
		d.i++
	}
	if n := d.i - digits; n == 0 || n > 1 && d.b[digits] == '0' {
		return 0, false
	}
	if d.eat('.') && !d.digits() {
		return 0, false
	}
	if d.eat('e') || d.eat('E') {
		if !d.eat('+') {
			d.eat('-')
		}
		if !d.digits() {
			return 0, false
		}
	}
	v, err := strconv.ParseFloat(string(d.b[start:d.i]), 64)
	return v, err == nil
}

func (d *fastDecoder) digits() bool {
	start := d.i
	for d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9' {
		d.i++
	}
	return d.i > start
}

func (d *fastDecoder) literal() (any, bool) {
	for _, l := range []struct {
		text string
		v    any
	}{{"true", true}, {"false", false}, {"null", nil}} {
		if bytes.HasPrefix(d.b[d.i:], []byte(l.text)) {
			d.i += len(l.text)
			return l.v, true
		}
	}
	return nil, false
}

package flowtest

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"
)

// FATE Flow is Python: the fake reproduces what Python does with the
// decoded JSON values it is sent (str(), repr(), len(), iteration, dict
// keys) where FATE's answers show it. JSON objects decode to Go maps, so
// where Python would follow the keys' order the fake sorts them.

// pyErr is a Python exception: its type name and its one argument.
type pyErr struct {
	typ, arg string
}

func (e pyErr) Error() string { return e.str() }

// str is str(e): the argument, or its repr for a KeyError.
func (e pyErr) str() string {
	if e.typ == "KeyError" {
		return pyStrRepr(e.arg)
	}
	return e.arg
}

// repr is repr(e), as FATE Flow 1.9+'s server_error_response writes it.
func (e pyErr) repr() string { return e.typ + "(" + pyStrRepr(e.arg) + ")" }

// pyStrRepr is repr() of a str: single quotes unless the text has a
// single quote and no double quote.
func pyStrRepr(s string) string {
	q := "'"
	if strings.Contains(s, "'") && !strings.Contains(s, `"`) {
		q = `"`
	}
	var b strings.Builder
	b.WriteString(q)
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case string(r) == q:
			b.WriteString(`\` + q)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteString(q)
	return b.String()
}

// pyObjStr is str() of a decoded JSON value; pyObjRepr its repr().
func pyObjStr(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return pyObjRepr(v)
}

func pyObjRepr(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case bool:
		if x {
			return "True"
		}
		return "False"
	case string:
		return pyStrRepr(x)
	case json.Number:
		return pyStr(x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = pyObjRepr(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		parts := make([]string, 0, len(x))
		for _, k := range sortedKeys(x) {
			parts = append(parts, pyStrRepr(k)+": "+pyObjRepr(x[k]))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return fmt.Sprint(v)
}

// pyLen is len(v).
func pyLen(v any) (int, error) {
	switch x := v.(type) {
	case string:
		return len([]rune(x)), nil
	case []any:
		return len(x), nil
	case map[string]any:
		return len(x), nil
	}
	return 0, pyErr{"TypeError", fmt.Sprintf("object of type '%s' has no len()", pyType(v))}
}

// pyIter is the items a for loop over v visits.
func pyIter(v any) ([]any, error) {
	switch x := v.(type) {
	case string:
		var out []any
		for _, r := range x {
			out = append(out, string(r))
		}
		return out, nil
	case []any:
		return x, nil
	case map[string]any:
		var out []any
		for _, k := range sortedKeys(x) {
			out = append(out, k)
		}
		return out, nil
	}
	return nil, pyErr{"TypeError", fmt.Sprintf("'%s' object is not iterable", pyType(v))}
}

// pyHashKey is v as a Python dict key: equal keys give equal strings
// (9999, 9999.0 and True == 1 alike; "9999" is another key). Lists and
// dicts are unhashable.
func pyHashKey(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "None", nil
	case bool:
		if x {
			return "n:1", nil
		}
		return "n:0", nil
	case string:
		return "s:" + x, nil
	case json.Number:
		if i, ok := new(big.Int).SetString(x.String(), 10); ok {
			return "n:" + i.String(), nil
		}
		f, _ := strconv.ParseFloat(x.String(), 64)
		if f == math.Trunc(f) && !math.IsInf(f, 0) {
			i, _ := new(big.Float).SetFloat64(f).Int(nil)
			return "n:" + i.String(), nil
		}
		return "n:" + pyStr(x), nil
	}
	return "", pyErr{"TypeError", fmt.Sprintf("unhashable type: '%s'", pyType(v))}
}

// pyJSONKey is how json.dumps writes v as an object key.
func pyJSONKey(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		if x {
			return "true"
		}
		return "false"
	case string:
		return x
	case json.Number:
		return pyStr(x)
	}
	return fmt.Sprint(v)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// pyType is the Python type name of a decoded JSON value.
func pyType(v any) string {
	switch x := v.(type) {
	case nil:
		return "NoneType"
	case bool:
		return "bool"
	case string:
		return "str"
	case json.Number:
		if _, err := x.Int64(); err == nil {
			return "int"
		}
		return "float"
	case []any:
		return "list"
	case map[string]any:
		return "dict"
	}
	return fmt.Sprintf("%T", v)
}

// pyStr is Python's str() of a decoded JSON number: json.loads makes an
// int of a number without fraction or exponent, a float of any other.
func pyStr(n json.Number) string {
	if i, ok := new(big.Int).SetString(n.String(), 10); ok {
		return i.String()
	}
	f, err := strconv.ParseFloat(n.String(), 64)
	if err != nil && !math.IsInf(f, 0) {
		return n.String()
	}
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	// repr(float): the shortest digits, in positional notation when the
	// decimal exponent is in [-4, 16), with ".0" on an integral value.
	e := strconv.FormatFloat(f, 'e', -1, 64)
	exp, _ := strconv.Atoi(e[strings.IndexByte(e, 'e')+1:])
	if exp < -4 || exp >= 16 {
		return e
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsRune(s, '.') {
		s += ".0"
	}
	return s
}

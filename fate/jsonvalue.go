package fate

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/planrun/planrun/fate/pyjson"
)

// jsonKind is the kind of a jsonValue.
type jsonKind int

const (
	jsonNull jsonKind = iota
	jsonBool
	jsonNumber
	jsonString
	jsonArray
	jsonObject
)

// jsonValue is a JSON document that keeps object key order, so that a
// document written by Python can be changed and written back exactly as
// Python's json.dumps would (insertion order, ", " and ": ", \uXXXX).
// Numbers keep their source text.
type jsonValue struct {
	kind jsonKind
	b    bool
	text string // number text or string value
	keys []string
	vals []*jsonValue // object values (parallel to keys) or array items
}

func jsonStr(s string) *jsonValue   { return &jsonValue{kind: jsonString, text: s} }
func jsonInt(n int64) *jsonValue    { return &jsonValue{kind: jsonNumber, text: strconv.FormatInt(n, 10)} }
func jsonBoolean(b bool) *jsonValue { return &jsonValue{kind: jsonBool, b: b} }
func jsonObj() *jsonValue           { return &jsonValue{kind: jsonObject} }
func jsonArr(items ...*jsonValue) *jsonValue {
	return &jsonValue{kind: jsonArray, vals: items}
}

// get returns the value under key in an object, or nil.
func (v *jsonValue) get(key string) *jsonValue {
	if v == nil || v.kind != jsonObject {
		return nil
	}
	for i, k := range v.keys {
		if k == key {
			return v.vals[i]
		}
	}
	return nil
}

// set replaces the value under key, keeping its position, or appends it
// (Python dict assignment).
func (v *jsonValue) set(key string, val *jsonValue) {
	for i, k := range v.keys {
		if k == key {
			v.vals[i] = val
			return
		}
	}
	v.keys = append(v.keys, key)
	v.vals = append(v.vals, val)
}

// clone deep-copies v.
func (v *jsonValue) clone() *jsonValue {
	if v == nil {
		return nil
	}
	c := *v
	c.keys = append([]string(nil), v.keys...)
	c.vals = make([]*jsonValue, len(v.vals))
	for i, x := range v.vals {
		c.vals[i] = x.clone()
	}
	return &c
}

// asInt returns the value as an integer when it is a JSON integer.
func (v *jsonValue) asInt() (int64, bool) {
	if v == nil || v.kind != jsonNumber {
		return 0, false
	}
	n, err := strconv.ParseInt(v.text, 10, 64)
	return n, err == nil
}

// describe names the JSON type of v for error messages.
func (v *jsonValue) describe() string {
	if v == nil {
		return "nothing"
	}
	switch v.kind {
	case jsonNull:
		return "null"
	case jsonBool:
		return "a boolean"
	case jsonNumber:
		if _, ok := v.asInt(); ok {
			return "an integer"
		}
		return "a number"
	case jsonString:
		return "a string " + strconv.Quote(v.text)
	case jsonArray:
		return "a list"
	}
	return "an object"
}

// pyDumps writes v as Python's json.dumps(v) does with default arguments.
func (v *jsonValue) pyDumps() []byte {
	var sb strings.Builder
	v.write(&sb, -1, 0)
	return []byte(sb.String())
}

// pyDumpsIndent writes v as json.dumps(v, indent=n).
func (v *jsonValue) pyDumpsIndent(n int) []byte {
	var sb strings.Builder
	v.write(&sb, n, 0)
	return []byte(sb.String())
}

func (v *jsonValue) write(sb *strings.Builder, indent, depth int) {
	switch v.kind {
	case jsonNull:
		sb.WriteString("null")
	case jsonBool:
		if v.b {
			sb.WriteString("true")
		} else {
			sb.WriteString("false")
		}
	case jsonNumber:
		sb.WriteString(v.text)
	case jsonString:
		pyjson.Quote(sb, v.text)
	case jsonArray, jsonObject:
		open, close := "[", "]"
		if v.kind == jsonObject {
			open, close = "{", "}"
		}
		sb.WriteString(open)
		if len(v.vals) == 0 {
			sb.WriteString(close)
			return
		}
		sep := ", "
		if indent >= 0 {
			sep = ","
		}
		for i, x := range v.vals {
			if i > 0 {
				sb.WriteString(sep)
			}
			if indent >= 0 {
				sb.WriteString("\n")
				sb.WriteString(strings.Repeat(" ", indent*(depth+1)))
			}
			if v.kind == jsonObject {
				pyjson.Quote(sb, v.keys[i])
				sb.WriteString(": ")
			}
			x.write(sb, indent, depth+1)
		}
		if indent >= 0 {
			sb.WriteString("\n")
			sb.WriteString(strings.Repeat(" ", indent*depth))
		}
		sb.WriteString(close)
	}
}

// jsonSyntaxError is a parse error with its position.
type jsonSyntaxError struct {
	Line, Col int
	Msg       string
}

func (e *jsonSyntaxError) Error() string { return fmt.Sprintf("%d:%d: %s", e.Line, e.Col, e.Msg) }

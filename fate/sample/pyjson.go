package sample

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/planrun/planrun/fate/pyjson"
)

// obj is a JSON object that keeps its key order, as Python dicts do.
type obj []kv

type kv struct {
	k string
	v any
}

// pyJSON renders v as Python's json.dumps does with its defaults: ", " and
// ": " separators, ensure_ascii, insertion order. v is built from obj,
// []any, string, bool, nil, int, int64 and float64.
func pyJSON(v any) string {
	var b strings.Builder
	writeJSON(&b, v)
	return b.String()
}

func writeJSON(b *strings.Builder, v any) {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case int:
		b.WriteString(strconv.Itoa(x))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case float64:
		b.WriteString(pyjson.Float(x, 64))
	case string:
		pyjson.Quote(b, x)
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			writeJSON(b, e)
		}
		b.WriteByte(']')
	case obj:
		b.WriteByte('{')
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			pyjson.Quote(b, e.k)
			b.WriteString(": ")
			writeJSON(b, e.v)
		}
		b.WriteByte('}')
	default:
		panic(fmt.Sprintf("sample: no JSON form for %T", v))
	}
}

package fate

import (
	"cmp"
	"encoding/base64"
	"math"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/planrun/planrun/fate/pyjson"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// dictJSON renders a message as FATE's .json twins hold it: Python
// protobuf's MessageToDict(including_default_value_fields=True) written by
// json.dumps — set fields in field-number order, then the unset ones
// (except singular messages and oneof members) with their defaults,
// lowerCamelCase names, 64-bit integers as strings, bytes as base64, enums
// by name. Map entries are written in key order (Python's order is
// arbitrary). Long lists of messages are rendered concurrently.
func dictJSON(m protoreflect.Message) []byte {
	return appendDict(nil, m)
}

func appendDict(b []byte, m protoreflect.Message) []byte {
	b = append(b, '{')
	first := true
	key := func(fd protoreflect.FieldDescriptor) {
		if !first {
			b = append(b, ", "...)
		}
		first = false
		b = appendPyString(b, fd.JSONName())
		b = append(b, ": "...)
	}
	var set []protoreflect.FieldDescriptor
	m.Range(func(fd protoreflect.FieldDescriptor, _ protoreflect.Value) bool {
		set = append(set, fd)
		return true
	})
	slices.SortFunc(set, func(a, b protoreflect.FieldDescriptor) int { return cmp.Compare(a.Number(), b.Number()) })
	for _, fd := range set {
		key(fd)
		b = appendField(b, fd, m.Get(fd))
	}
	fields := m.Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		if m.Has(fd) || fd.ContainingOneof() != nil || (fd.Cardinality() != protoreflect.Repeated && isMessage(fd)) {
			continue
		}
		key(fd)
		b = appendField(b, fd, m.Get(fd))
	}
	return append(b, '}')
}

func isMessage(fd protoreflect.FieldDescriptor) bool {
	return fd.Kind() == protoreflect.MessageKind || fd.Kind() == protoreflect.GroupKind
}

// parallelList is the length from which a list of messages is rendered in
// concurrent parts.
const parallelList = 64

func appendField(b []byte, fd protoreflect.FieldDescriptor, v protoreflect.Value) []byte {
	switch {
	case fd.IsMap():
		type entry struct {
			k protoreflect.MapKey
			v protoreflect.Value
		}
		var entries []entry
		v.Map().Range(func(k protoreflect.MapKey, v protoreflect.Value) bool {
			entries = append(entries, entry{k, v})
			return true
		})
		slices.SortFunc(entries, func(a, b entry) int { return compareMapKeys(a.k, b.k) })
		b = append(b, '{')
		for i, e := range entries {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = appendPyString(b, e.k.String())
			b = append(b, ": "...)
			b = appendScalar(b, fd.MapValue(), e.v)
		}
		return append(b, '}')
	case fd.IsList():
		l := v.List()
		b = append(b, '[')
		if isMessage(fd) && l.Len() >= parallelList {
			b = appendListParallel(b, fd, l)
		} else {
			for i := 0; i < l.Len(); i++ {
				if i > 0 {
					b = append(b, ", "...)
				}
				b = appendScalar(b, fd, l.Get(i))
			}
		}
		return append(b, ']')
	}
	return appendScalar(b, fd, v)
}

// appendListParallel renders a list's items in parts at once and appends
// them to b.
func appendListParallel(b []byte, fd protoreflect.FieldDescriptor, l protoreflect.List) []byte {
	n := l.Len()
	parts := min(runtime.GOMAXPROCS(0)*4, n)
	out := make([][]byte, parts)
	var wg sync.WaitGroup
	for p := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var b []byte
			for i := p * n / parts; i < (p+1)*n/parts; i++ {
				if i > 0 {
					b = append(b, ", "...)
				}
				b = appendScalar(b, fd, l.Get(i))
			}
			out[p] = b
		}()
	}
	wg.Wait()
	for _, part := range out {
		b = append(b, part...)
	}
	return b
}

func compareMapKeys(a, b protoreflect.MapKey) int {
	switch x := a.Interface().(type) {
	case string:
		return strings.Compare(x, b.String())
	case bool:
		if x == b.Bool() {
			return 0
		} else if !x {
			return -1
		}
		return 1
	case int32, int64:
		return cmp.Compare(a.Int(), b.Int())
	}
	return cmp.Compare(a.Uint(), b.Uint())
}

func appendScalar(b []byte, fd protoreflect.FieldDescriptor, v protoreflect.Value) []byte {
	switch fd.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return appendDict(b, v.Message())
	case protoreflect.EnumKind:
		if ev := fd.Enum().Values().ByNumber(v.Enum()); ev != nil {
			return appendPyString(b, string(ev.Name()))
		}
		return strconv.AppendInt(b, int64(v.Enum()), 10)
	case protoreflect.BoolKind:
		return strconv.AppendBool(b, v.Bool())
	case protoreflect.StringKind:
		return appendPyString(b, v.String())
	case protoreflect.BytesKind:
		return appendPyString(b, base64.StdEncoding.EncodeToString(v.Bytes()))
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return strconv.AppendInt(b, v.Int(), 10)
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return strconv.AppendUint(b, v.Uint(), 10)
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return appendPyString(b, strconv.FormatInt(v.Int(), 10))
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return appendPyString(b, strconv.FormatUint(v.Uint(), 10))
	case protoreflect.FloatKind:
		return append(b, floatToDict(v.Float(), 32)...)
	case protoreflect.DoubleKind:
		return append(b, floatToDict(v.Float(), 64)...)
	}
	return append(b, "null"...)
}

// appendPyString appends s as json.dumps writes it (ensure_ascii).
func appendPyString(b []byte, s string) []byte {
	plain := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			plain = false
			break
		}
	}
	if plain {
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"')
	}
	var sb strings.Builder
	pyjson.Quote(&sb, s)
	return append(b, sb.String()...)
}

// floatToDict writes a float field as MessageToDict and json.dumps do:
// NaN and infinities as strings.
func floatToDict(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return `"NaN"`
	case math.IsInf(f, 1):
		return `"Infinity"`
	case math.IsInf(f, -1):
		return `"-Infinity"`
	}
	return pyjson.Float(f, bits)
}

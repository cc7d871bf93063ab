package fate

import (
	"cmp"
	"encoding/base64"
	"math"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// messageToDict renders a message as FATE's .json twins hold it: Python
// protobuf's MessageToDict(including_default_value_fields=True) — set
// fields in field-number order, then the unset ones (except singular
// messages and oneof members) with their defaults, lowerCamelCase names,
// 64-bit integers as strings, bytes as base64, enums by name. Map entries
// are written in key order (Python's order is arbitrary).
func messageToDict(m protoreflect.Message) *jsonValue {
	o := jsonObj()
	var set []protoreflect.FieldDescriptor
	m.Range(func(fd protoreflect.FieldDescriptor, _ protoreflect.Value) bool {
		set = append(set, fd)
		return true
	})
	slices.SortFunc(set, func(a, b protoreflect.FieldDescriptor) int { return cmp.Compare(a.Number(), b.Number()) })
	for _, fd := range set {
		o.set(fd.JSONName(), fieldToDict(fd, m.Get(fd)))
	}
	fields := m.Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		if m.Has(fd) {
			continue
		}
		if fd.ContainingOneof() != nil || (fd.Cardinality() != protoreflect.Repeated && isMessage(fd)) {
			continue
		}
		o.set(fd.JSONName(), fieldToDict(fd, m.Get(fd)))
	}
	return o
}

func isMessage(fd protoreflect.FieldDescriptor) bool {
	return fd.Kind() == protoreflect.MessageKind || fd.Kind() == protoreflect.GroupKind
}

func fieldToDict(fd protoreflect.FieldDescriptor, v protoreflect.Value) *jsonValue {
	switch {
	case fd.IsMap():
		o := jsonObj()
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
		for _, e := range entries {
			o.set(e.k.String(), scalarToDict(fd.MapValue(), e.v))
		}
		return o
	case fd.IsList():
		a := jsonArr()
		l := v.List()
		for i := 0; i < l.Len(); i++ {
			a.vals = append(a.vals, scalarToDict(fd, l.Get(i)))
		}
		return a
	}
	return scalarToDict(fd, v)
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

func scalarToDict(fd protoreflect.FieldDescriptor, v protoreflect.Value) *jsonValue {
	switch fd.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return messageToDict(v.Message())
	case protoreflect.EnumKind:
		if ev := fd.Enum().Values().ByNumber(v.Enum()); ev != nil {
			return jsonStr(string(ev.Name()))
		}
		return jsonInt(int64(v.Enum()))
	case protoreflect.BoolKind:
		return jsonBoolean(v.Bool())
	case protoreflect.StringKind:
		return jsonStr(v.String())
	case protoreflect.BytesKind:
		return jsonStr(base64.StdEncoding.EncodeToString(v.Bytes()))
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return jsonInt(v.Int())
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return &jsonValue{kind: jsonNumber, text: strconv.FormatUint(v.Uint(), 10)}
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return jsonStr(strconv.FormatInt(v.Int(), 10))
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return jsonStr(strconv.FormatUint(v.Uint(), 10))
	case protoreflect.FloatKind:
		return floatToDict(v.Float(), 32)
	case protoreflect.DoubleKind:
		return floatToDict(v.Float(), 64)
	}
	return &jsonValue{kind: jsonNull}
}

func floatToDict(f float64, bits int) *jsonValue {
	switch {
	case math.IsNaN(f):
		return jsonStr("NaN")
	case math.IsInf(f, 1):
		return jsonStr("Infinity")
	case math.IsInf(f, -1):
		return jsonStr("-Infinity")
	}
	return &jsonValue{kind: jsonNumber, text: pyFloat(f, bits)}
}

// pyFloat writes f as Python's repr(float) does, from the shortest decimal
// that reads back as the same float of the given size (32 for protobuf
// float fields, as protobuf's ToShortestFloat gives).
func pyFloat(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	s := strconv.FormatFloat(f, 'e', -1, bits) // [-]d[.ddd]e±XX
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	mant, expText, _ := strings.Cut(s, "e")
	digits := strings.Replace(mant, ".", "", 1)
	exp, _ := strconv.Atoi(expText)
	var out string
	if exp < -4 || exp >= 16 {
		out = digits[:1]
		if len(digits) > 1 {
			out += "." + digits[1:]
		}
		sign := "+"
		if exp < 0 {
			sign, exp = "-", -exp
		}
		out += "e" + sign + pad2(exp)
	} else if exp >= 0 {
		if len(digits) <= exp+1 {
			out = digits + strings.Repeat("0", exp+1-len(digits)) + ".0"
		} else {
			out = digits[:exp+1] + "." + digits[exp+1:]
		}
	} else {
		out = "0." + strings.Repeat("0", -exp-1) + digits
	}
	if neg {
		out = "-" + out
	}
	return out
}

func pad2(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

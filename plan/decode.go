package plan

import (
	"encoding"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
)

// fieldError is a problem at a field path inside a decoded value; key is
// set when the problem is the key itself (an unknown field).
type fieldError struct {
	path []string
	key  string
	msg  string
}

// decodeInto decodes a generic value into out (a pointer) strictly:
// unknown fields are errors, "yaml" struct tags name the fields, duration
// strings and encoding.TextUnmarshaler types are parsed, strings that hold
// a number or boolean are converted (so substituted values work) and
// floats only become integers when they are whole.
func decodeInto(in any, out any) []fieldError {
	dec, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{
		TagName:     "yaml",
		ErrorUnused: true,
		Result:      out,
		DecodeHook:  decodeHook,
	})
	if err != nil {
		return []fieldError{{msg: fmt.Sprintf("decode: %v", err)}}
	}
	if err := dec.Decode(in); err != nil {
		var errs []fieldError
		top := reflect.TypeOf(out)
		for top.Kind() == reflect.Pointer {
			top = top.Elem()
		}
		flattenDecode(err, top.String(), &errs)
		return errs
	}
	return nil
}

var (
	durationType        = reflect.TypeOf(time.Duration(0))
	textUnmarshalerType = reflect.TypeOf((*encoding.TextUnmarshaler)(nil)).Elem()
)

// decodeHook converts plan values to Go field types: strings to
// time.Duration, encoding.TextUnmarshaler types, numbers and booleans (a
// substituted var or CSV field is text); floats to integers only when whole.
func decodeHook(from, to reflect.Type, data any) (any, error) {
	switch v := data.(type) {
	case string:
		return fromString(v, to)
	case float64:
		switch to.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			if v != math.Trunc(v) {
				return nil, fmt.Errorf("want an integer, got %v", v)
			}
			if to.Kind() >= reflect.Uint && v < 0 {
				return nil, fmt.Errorf("want a non-negative integer, got %v", v)
			}
		}
	}
	return data, nil
}

func fromString(s string, to reflect.Type) (any, error) {
	if to == durationType {
		d, err := time.ParseDuration(s)
		if err != nil {
			return nil, fmt.Errorf("cannot read %q as a duration such as 90s, 2m30s or 1h", s)
		}
		return d, nil
	}
	if to.Kind() != reflect.String && reflect.PointerTo(to).Implements(textUnmarshalerType) {
		v := reflect.New(to)
		if err := v.Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s)); err != nil {
			return nil, fmt.Errorf("cannot read %q: %w", s, err)
		}
		return v.Elem().Interface(), nil
	}
	switch to.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.ParseInt(s, 10, to.Bits())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.ParseUint(s, 10, to.Bits())
	case reflect.Float32, reflect.Float64:
		return strconv.ParseFloat(s, to.Bits())
	case reflect.Bool:
		return strconv.ParseBool(s)
	}
	return s, nil
}

func flattenDecode(err error, top string, out *[]fieldError) {
	var de *mapstructure.DecodeError
	if errors.As(err, &de) && err == error(de) {
		path := splitPath(de.Name())
		inner := de.Unwrap()
		if keys, ok := strings.CutPrefix(inner.Error(), "has invalid keys: "); ok {
			// The name is the parent; at the top level mapstructure uses the
			// Go type name instead of "".
			if de.Name() == top {
				path = nil
			}
			for _, k := range strings.Split(keys, ", ") {
				*out = append(*out, fieldError{path: path, key: k, msg: fmt.Sprintf("unknown field %q", k)})
			}
			return
		}
		*out = append(*out, fieldError{path: path, msg: decodeMsg(inner)})
		return
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			flattenDecode(e, top, out)
		}
		return
	}
	if inner := errors.Unwrap(err); inner != nil {
		flattenDecode(inner, top, out)
		return
	}
	*out = append(*out, fieldError{msg: err.Error()})
}

func decodeMsg(err error) string {
	var ut *mapstructure.UnconvertibleTypeError
	if errors.As(err, &ut) {
		return fmt.Sprintf("want %s, got %s", goType(ut.Expected.Type()), jsonType(ut.Value))
	}
	var ne *strconv.NumError
	if errors.As(err, &ne) {
		want := "a number"
		switch ne.Func {
		case "ParseBool":
			want = "a boolean"
		case "ParseInt", "ParseUint", "Atoi":
			want = "an integer"
		}
		return fmt.Sprintf("cannot read %q as %s", ne.Num, want)
	}
	var pe *mapstructure.ParseError
	if errors.As(err, &pe) {
		return fmt.Sprintf("cannot read %s as %s", text(pe.Value), goType(pe.Expected.Type()))
	}
	msg := err.Error()
	// Hook errors come wrapped as "error decoding 'x': cause".
	if i := strings.LastIndex(msg, "': "); i >= 0 && strings.HasPrefix(msg, "error decoding '") {
		msg = msg[i+3:]
	}
	return msg
}

func goType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Bool:
		return "boolean"
	case reflect.String:
		return "string"
	case reflect.Slice, reflect.Array:
		return "list"
	case reflect.Map, reflect.Struct:
		return "map"
	case reflect.Pointer:
		return goType(t.Elem())
	}
	return t.String()
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "boolean"
	case float64, float32, int, int64:
		return "number"
	case []any:
		return "list"
	case map[string]any:
		return "map"
	}
	return fmt.Sprintf("%T", v)
}

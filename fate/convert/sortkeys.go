package convert

import (
	"sort"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// sortMapKeys orders map keys: strings and bools by text, integers by value.
func sortMapKeys(keys []protoreflect.MapKey) {
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i].Interface(), keys[j].Interface()
		switch x := a.(type) {
		case string:
			return x < b.(string)
		case int32:
			return x < b.(int32)
		case int64:
			return x < b.(int64)
		case uint32:
			return x < b.(uint32)
		case uint64:
			return x < b.(uint64)
		case bool:
			return !x && b.(bool)
		}
		return false
	})
}

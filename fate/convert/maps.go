package convert

import (
	"fmt"
	"sort"
)

// rekey rewrites the keys of m with f. It returns m itself when no key
// changes, otherwise a new map; two keys that become one are an error
// (FATE would silently keep one of them). Keys are visited in sorted order
// so that errors are deterministic.
func rekey[V any](m map[string]V, field string, f func(string) (string, error)) (map[string]V, bool, error) {
	keys := sortedKeys(m)
	var out map[string]V
	for i, k := range keys {
		nk, err := f(k)
		if err != nil {
			return nil, false, atField(err, fmt.Sprintf("%s[%s](key)", field, k), k)
		}
		if nk != k && out == nil {
			out = make(map[string]V, len(m))
			for _, prev := range keys[:i] {
				out[prev] = m[prev]
			}
		}
		if out == nil {
			continue
		}
		if _, dup := out[nk]; dup {
			return nil, false, atField(fmt.Errorf("%w: %q", ErrKeyCollision, nk), fmt.Sprintf("%s[%s](key)", field, k), k)
		}
		out[nk] = m[k]
	}
	if out == nil {
		return m, false, nil
	}
	return out, true, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

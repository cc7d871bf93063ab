package convert

import (
	"strconv"
	"strings"
)

// seg is one step of a field path: a field name or number, optionally an
// index or a map key.
type seg struct {
	name   string // field name, or "#n" at the wire level
	index  int    // -1 for none
	key    string // map key, when isKey or hasKey
	hasKey bool
	isKey  bool // the finding is the map key itself
}

// path is a stack of segments, rendered only when a finding is reported.
type path []seg

func (p path) String() string {
	var b strings.Builder
	b.Grow(16 * len(p))
	for i, s := range p {
		if i > 0 && s.name != "" {
			b.WriteByte('.')
		}
		b.WriteString(s.name)
		if s.index >= 0 {
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(s.index))
			b.WriteByte(']')
		}
		if s.hasKey {
			b.WriteByte('[')
			b.WriteString(quoteKey(s.key))
			b.WriteByte(']')
			if s.isKey {
				b.WriteString("(key)")
			}
		}
	}
	return b.String()
}

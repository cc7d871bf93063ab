package convert

import (
	"fmt"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// maxDepth bounds the nesting the walks follow.
const maxDepth = 64

// walker collects findings over one component's buffers.
type walker struct {
	old    *oldIDs
	model  string
	path   path
	found  []Finding
	tables map[protoreflect.FullName]*fieldTable
	values map[string]string // interned finding values: few distinct, many hits
}

// fieldInfo is what the walk needs of a declared field, worked out once.
type fieldInfo struct {
	fd     protoreflect.FieldDescriptor
	name   string
	kind   protoreflect.Kind
	isList bool
	isMap  bool
	rule   int // one of the rule constants
}

const (
	ruleNone = iota
	ruleBinningPartyID
	ruleHostPlain
	ruleTreePlan
)

// fieldTable indexes a message's fields by number.
type fieldTable struct {
	small [32]*fieldInfo
	big   map[protowire.Number]*fieldInfo
}

func (w *walker) table(md protoreflect.MessageDescriptor) *fieldTable {
	if t, ok := w.tables[md.FullName()]; ok {
		return t
	}
	t := &fieldTable{big: map[protowire.Number]*fieldInfo{}}
	fields := md.Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		fi := &fieldInfo{fd: fd, name: string(fd.Name()), kind: fd.Kind(), isList: fd.IsList(), isMap: fd.IsMap()}
		switch fd.FullName() {
		case binningResultName + ".party_id":
			fi.rule = ruleBinningPartyID
		case hostPartyIDsName, hostColPartyName:
			fi.rule = ruleHostPlain
		case treePlanName:
			fi.rule = ruleTreePlan
		}
		if fd.Number() < 32 {
			t.small[fd.Number()] = fi
		} else {
			t.big[fd.Number()] = fi
		}
	}
	if w.tables == nil {
		w.tables = map[protoreflect.FullName]*fieldTable{}
	}
	w.tables[md.FullName()] = t
	return t
}

func (t *fieldTable) field(num protowire.Number) *fieldInfo {
	if num >= 0 && num < 32 {
		return t.small[num]
	}
	return t.big[num]
}

func (w *walker) emit(value string) {
	if len(value) > 256 {
		value = value[:256] + "…"
	}
	w.found = append(w.found, Finding{Model: w.model, Field: w.path.String(), Value: value})
}

func (w *walker) push(s seg) { w.path = append(w.path, s) }
func (w *walker) pop()       { w.path = w.path[:len(w.path)-1] }

// text checks one string.
func (w *walker) text(b []byte) {
	if w.old.matchBytes(b) {
		w.emit(w.intern(b))
	}
}

func (w *walker) intern(b []byte) string {
	if s, ok := w.values[string(b)]; ok {
		return s
	}
	s := string(b)
	if w.values == nil {
		w.values = map[string]string{}
	}
	if len(w.values) < 1<<16 {
		w.values[s] = s
	}
	return s
}

// Messages whose fields hold a bare party id.
const (
	binningResultName = "com.webank.ai.fate.core.mlmodel.buffer.FeatureBinningResult"
	hostPartyIDsName  = "com.webank.ai.fate.core.mlmodel.buffer.MultiClassResult.host_party_ids"
	hostColPartyName  = "com.webank.ai.fate.core.mlmodel.buffer.HostColNames.party_id"
	treePlanName      = "com.webank.ai.fate.core.mlmodel.buffer.BoostingTreeModelParam.tree_plan"
)

// typed walks b as a message of type md at the wire level, naming fields
// by their declared names: every string (values, list items, map keys and
// values) against the party-bearing forms, the plain party id fields by
// their role, and undeclared fields by the generic wire walk. Malformed
// input is ErrDecode.
func (w *walker) typed(b []byte, md protoreflect.MessageDescriptor, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("%w: nested deeper than %d", ErrDecode, maxDepth)
	}
	role := ""
	if md.FullName() == binningResultName {
		role = stringField(b, 2)
	}
	t := w.table(md)
	var seen [32]int
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return fmt.Errorf("%w: %v", ErrDecode, protowire.ParseError(n))
		}
		m := protowire.ConsumeFieldValue(num, typ, b[n:])
		if m < 0 {
			return fmt.Errorf("%w: field %d: %v", ErrDecode, num, protowire.ParseError(m))
		}
		raw := b[n : n+m]
		b = b[n+m:]
		idx := 0
		if num < 32 {
			idx = seen[num]
			seen[num]++
		}
		fi := t.field(num)
		if fi == nil || typ != protowire.BytesType {
			// Numbers (and packed numbers) hold no text; undeclared fields go
			// to the generic walk.
			if fi == nil && typ == protowire.BytesType {
				v, _ := protowire.ConsumeBytes(raw)
				w.push(seg{name: wireName(num), index: -1})
				w.blob(v, depth+1)
				w.pop()
			}
			continue
		}
		v, _ := protowire.ConsumeBytes(raw)
		s := seg{name: fi.name, index: -1}
		if fi.isList {
			s.index = idx
		}
		var err error
		switch {
		case fi.isMap:
			err = w.mapEntry(v, fi.fd, depth)
		case fi.kind == protoreflect.StringKind:
			if !utf8.Valid(v) {
				return fmt.Errorf("%w: field %s: invalid UTF-8", ErrDecode, fi.name)
			}
			w.push(s)
			w.text(v)
			if fi.rule != ruleNone {
				w.plainID(fi.rule, role, v)
			}
			w.pop()
		case fi.kind == protoreflect.MessageKind:
			w.push(s)
			err = w.typed(v, fi.fd.Message(), depth+1)
			w.pop()
		case fi.kind == protoreflect.BytesKind:
			w.push(s)
			w.blob(v, depth+1)
			w.pop()
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// mapEntry walks one map entry (key 1, value 2).
func (w *walker) mapEntry(b []byte, fd protoreflect.FieldDescriptor, depth int) error {
	var key, val []byte
	var keyNum uint64
	hasVal := false
	for rest := b; len(rest) > 0; {
		num, typ, n := protowire.ConsumeTag(rest)
		if n < 0 {
			return fmt.Errorf("%w: map %s: %v", ErrDecode, fd.Name(), protowire.ParseError(n))
		}
		m := protowire.ConsumeFieldValue(num, typ, rest[n:])
		if m < 0 {
			return fmt.Errorf("%w: map %s: %v", ErrDecode, fd.Name(), protowire.ParseError(m))
		}
		switch {
		case num == 1 && typ == protowire.BytesType:
			key, _ = protowire.ConsumeBytes(rest[n:])
		case num == 1 && typ == protowire.VarintType:
			keyNum, _ = protowire.ConsumeVarint(rest[n:])
			key = nil
		case num == 2 && typ == protowire.BytesType:
			val, _ = protowire.ConsumeBytes(rest[n:])
			hasVal = true
		}
		rest = rest[n+m:]
	}
	k := string(key)
	if fd.MapKey().Kind() != protoreflect.StringKind {
		k = mapKeyText(fd.MapKey().Kind(), keyNum)
	}
	name := string(fd.Name())
	if fd.MapKey().Kind() == protoreflect.StringKind && w.old.matchBytes(key) {
		w.push(seg{name: name, index: -1, key: k, hasKey: true, isKey: true})
		w.emit(k)
		w.pop()
	}
	if !hasVal {
		return nil
	}
	w.push(seg{name: name, index: -1, key: k, hasKey: true})
	defer w.pop()
	switch fd.MapValue().Kind() {
	case protoreflect.StringKind:
		w.text(val)
	case protoreflect.BytesKind:
		w.blob(val, depth+1)
	case protoreflect.MessageKind:
		return w.typed(val, fd.MapValue().Message(), depth+1)
	}
	return nil
}

// plainID checks the fields that hold a bare party id, whose role the
// message implies.
func (w *walker) plainID(rule int, role string, v []byte) {
	switch rule {
	case ruleBinningPartyID:
		if role != "" && w.old.plainOld(role, string(v)) {
			w.emit(string(v))
		}
	case ruleHostPlain:
		if w.old.plainOld("host", string(v)) {
			w.emit(string(v))
		}
	case ruleTreePlan:
		for i := len(v) - 1; i >= 0; i-- {
			if v[i] == '_' {
				if w.old.plainOld("host", string(v[i+1:])) {
					w.emit(string(v))
				}
				break
			}
		}
	}
}

// stringField returns the last value of string field num in b, or "".
func stringField(b []byte, num protowire.Number) string {
	s := ""
	for len(b) > 0 {
		n2, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return s
		}
		m := protowire.ConsumeFieldValue(n2, typ, b[n:])
		if m < 0 {
			return s
		}
		if n2 == num && typ == protowire.BytesType {
			v, _ := protowire.ConsumeBytes(b[n:])
			s = string(v)
		}
		b = b[n+m:]
	}
	return s
}

func mapKeyText(k protoreflect.Kind, v uint64) string {
	switch k {
	case protoreflect.BoolKind:
		if v != 0 {
			return "true"
		}
		return "false"
	case protoreflect.Int32Kind, protoreflect.Int64Kind, protoreflect.Sfixed32Kind, protoreflect.Sfixed64Kind:
		if k == protoreflect.Int32Kind {
			return itoa(int(int32(v)))
		}
		return itoa(int(int64(v)))
	case protoreflect.Sint32Kind, protoreflect.Sint64Kind:
		return itoa(int(protowire.DecodeZigZag(v)))
	}
	return fmt.Sprint(v)
}

// wire walks b as a protobuf message at the wire level; it reports false,
// emitting nothing, when b does not parse as one. Each length-delimited
// field goes through blob.
func (w *walker) wire(b []byte, depth int) bool {
	if depth > maxDepth || !wellFormed(b) {
		return false
	}
	var counts, seen fieldCounts
	for rest := b; len(rest) > 0; {
		num, typ, n := protowire.ConsumeTag(rest)
		m := protowire.ConsumeFieldValue(num, typ, rest[n:])
		if typ == protowire.BytesType {
			counts.inc(num)
		}
		rest = rest[n+m:]
	}
	for rest := b; len(rest) > 0; {
		num, typ, n := protowire.ConsumeTag(rest)
		m := protowire.ConsumeFieldValue(num, typ, rest[n:])
		if typ == protowire.BytesType {
			v, _ := protowire.ConsumeBytes(rest[n:])
			idx := -1
			if counts.get(num) > 1 {
				idx = seen.get(num)
			}
			seen.inc(num)
			w.push(seg{name: wireName(num), index: idx})
			w.blob(v, depth+1)
			w.pop()
		}
		rest = rest[n+m:]
	}
	return true
}

// fieldCounts counts occurrences per field number without allocating for
// the usual small numbers.
type fieldCounts struct {
	small [32]int
	big   map[protowire.Number]int
}

func (c *fieldCounts) inc(num protowire.Number) {
	if num < 32 {
		c.small[num]++
		return
	}
	if c.big == nil {
		c.big = map[protowire.Number]int{}
	}
	c.big[num]++
}

func (c *fieldCounts) get(num protowire.Number) int {
	if num < 32 {
		return c.small[num]
	}
	return c.big[num]
}

// blob checks bytes of unknown meaning: printable text as a string,
// otherwise as a message when it parses as one, otherwise as text.
func (w *walker) blob(b []byte, depth int) {
	switch {
	case printable(b):
		w.text(b)
	case w.wire(b, depth):
	default:
		w.text(b)
	}
}

// wellFormed reports whether b parses completely as protobuf fields.
func wellFormed(b []byte) bool {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 || !num.IsValid() {
			return false
		}
		m := protowire.ConsumeFieldValue(num, typ, b[n:])
		if m < 0 {
			return false
		}
		b = b[n+m:]
	}
	return true
}

// printable reports whether b is UTF-8 text without control characters (a
// nested message nearly always has one: a tag or a length below 0x20).
// Text with line breaks is not printable here; it is still checked as text
// when it does not parse as a message.
func printable(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c == 0x7f {
			return false
		}
	}
	return utf8.Valid(b)
}

var wireNames = func() (names [64]string) {
	for i := range names {
		names[i] = "#" + itoa(i)
	}
	return names
}()

// wireName is a field's name at the wire level: "#" and its number.
func wireName(num protowire.Number) string {
	if num >= 0 && int(num) < len(wireNames) {
		return wireNames[num]
	}
	return "#" + itoa(int(num))
}

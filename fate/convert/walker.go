package convert

import (
	"strconv"
	"unicode/utf8"

	"github.com/planrun/planrun/fate/pb"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// maxDepth bounds the nesting the wire walk follows.
const maxDepth = 64

// walker collects findings over one component's buffers.
type walker struct {
	old   *oldIDs
	model string
	path  path
	found []Finding
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
func (w *walker) text(s string) {
	if w.old.match(s) {
		w.emit(s)
	}
}

// message walks a decoded message: every string (values, list items, map
// keys and values) against the party-bearing forms, the plain party id
// fields by their role, and unknown fields at the wire level.
func (w *walker) message(m protoreflect.Message) {
	fields := m.Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		if !carriesText(fd) || !m.Has(fd) {
			continue
		}
		v := m.Get(fd)
		name := string(fd.Name())
		switch {
		case fd.IsList():
			l := v.List()
			for j := 0; j < l.Len(); j++ {
				w.push(seg{name: name, index: j})
				w.value(fd, l.Get(j))
				w.pop()
			}
		case fd.IsMap():
			w.mapField(name, fd, v.Map())
		default:
			w.push(seg{name: name, index: -1})
			w.value(fd, v)
			w.pop()
		}
	}
	w.plainIDs(m.Interface())
	if u := m.GetUnknown(); len(u) > 0 {
		w.wire(u, 0)
	}
}

// carriesText reports whether a field can hold a string somewhere.
func carriesText(fd protoreflect.FieldDescriptor) bool {
	if fd.IsMap() {
		return carriesText(fd.MapKey()) || carriesText(fd.MapValue())
	}
	switch fd.Kind() {
	case protoreflect.StringKind, protoreflect.BytesKind, protoreflect.MessageKind, protoreflect.GroupKind:
		return true
	}
	return false
}

func (w *walker) value(fd protoreflect.FieldDescriptor, v protoreflect.Value) {
	switch fd.Kind() {
	case protoreflect.StringKind:
		w.text(v.String())
	case protoreflect.BytesKind:
		w.blob(v.Bytes(), 1)
	case protoreflect.MessageKind, protoreflect.GroupKind:
		w.message(v.Message())
	}
}

func (w *walker) mapField(name string, fd protoreflect.FieldDescriptor, m protoreflect.Map) {
	keys := make([]protoreflect.MapKey, 0, m.Len())
	m.Range(func(k protoreflect.MapKey, _ protoreflect.Value) bool {
		keys = append(keys, k)
		return true
	})
	sortMapKeys(keys)
	for _, k := range keys {
		ks := k.String()
		if fd.MapKey().Kind() == protoreflect.StringKind && w.old.match(ks) {
			w.push(seg{name: name, index: -1, key: ks, hasKey: true, isKey: true})
			w.emit(ks)
			w.pop()
		}
		if carriesText(fd.MapValue()) {
			w.push(seg{name: name, index: -1, key: ks, hasKey: true})
			w.value(fd.MapValue(), m.Get(k))
			w.pop()
		}
	}
}

// plainIDs checks the fields that hold a bare party id, whose role the
// message implies.
func (w *walker) plainIDs(m any) {
	check := func(field string, index int, role, id string) {
		if w.old.plainOld(role, id) {
			w.push(seg{name: field, index: index})
			w.emit(id)
			w.pop()
		}
	}
	switch x := m.(type) {
	case *pb.FeatureBinningResult:
		check("party_id", -1, x.Role, x.PartyId)
	case *pb.MultiClassResult:
		for i, id := range x.HostPartyIds {
			check("host_party_ids", i, "host", id)
		}
	case *pb.HostColNames:
		check("party_id", -1, "host", x.PartyId)
	case *pb.BoostingTreeModelParam:
		for i, s := range x.TreePlan {
			if _, id, ok := cutLast(s); ok {
				if w.old.plainOld("host", id) {
					w.push(seg{name: "tree_plan", index: i})
					w.emit(s)
					w.pop()
				}
			}
		}
	}
}

func cutLast(s string) (string, string, bool) {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '_' {
			return s[:i], s[i+1:], true
		}
	}
	return "", "", false
}

// wire walks b as a protobuf message at the wire level; it reports false,
// emitting nothing, when b does not parse as one. A length-delimited field
// that is printable text is checked as a string; otherwise it is walked as
// a message when it parses as one, else checked as a string when it is
// UTF-8.
func (w *walker) wire(b []byte, depth int) bool {
	if depth > maxDepth || !wellFormed(b) {
		return false
	}
	counts := map[protowire.Number]int{}
	for rest := b; len(rest) > 0; {
		num, typ, n := protowire.ConsumeTag(rest)
		m := protowire.ConsumeFieldValue(num, typ, rest[n:])
		counts[num]++
		rest = rest[n+m:]
	}
	seen := map[protowire.Number]int{}
	for rest := b; len(rest) > 0; {
		num, typ, n := protowire.ConsumeTag(rest)
		m := protowire.ConsumeFieldValue(num, typ, rest[n:])
		if typ == protowire.BytesType {
			v, _ := protowire.ConsumeBytes(rest[n:])
			idx := -1
			if counts[num] > 1 {
				idx = seen[num]
			}
			w.push(seg{name: "#" + strconv.Itoa(int(num)), index: idx})
			w.blob(v, depth+1)
			w.pop()
		}
		seen[num]++
		rest = rest[n+m:]
	}
	return true
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
	if !utf8.Valid(b) {
		return false
	}
	for _, c := range b {
		if c < 0x20 || c == 0x7f {
			return false
		}
	}
	return true
}

// blob checks bytes of unknown meaning: printable text as a string,
// otherwise as a message when it parses as one, otherwise as text.
func (w *walker) blob(b []byte, depth int) {
	switch {
	case printable(b):
		w.text(string(b))
	case w.wire(b, depth):
	default:
		w.text(string(b))
	}
}

package convert

import (
	"bytes"
	"sort"
	"strings"

	"github.com/planrun/planrun/fate/pb"
	"google.golang.org/protobuf/proto"
)

// Finding is one old party id left in a buffer.
type Finding struct {
	Model string // model name (buffer file name)
	// Field is the field path inside the message: names for decoded
	// messages ("trees_[3].tree_[0].sitename", a map value as
	// "anonymous_name_mapping[host_10000_x0]", a map key with a "(key)"
	// suffix), field numbers at the wire level ("#2[0].#5", an index only
	// when the field occurs more than once); empty when the whole buffer is
	// text.
	Field string
	Value string // the string holding the old id (cut at 256 bytes)
}

// messages lists, per module, the messages its Param and Meta buffers
// decode as: the converter modules plus DataIO and logistic regression,
// which Scan also walks by name.
var messages = map[string]*converter{
	"DataIO": {
		param: func() proto.Message { return new(pb.DataIOParam) },
		meta:  func() proto.Message { return new(pb.DataIOMeta) },
	},
	"HeteroLR": lrMessages,
	"HomoLR":   lrMessages,
}

var lrMessages = &converter{
	param: func() proto.Message { return new(pb.LRModelParam) },
	meta:  func() proto.Message { return new(pb.LRModelMeta) },
}

// NewMessage returns an empty message of the type a model (buffer) of
// module decodes as — for the converter modules, DataIO and HeteroLR/HomoLR,
// by the model name containing "Param" or "Meta" — or false when planrun
// has no definition for it.
func NewMessage(module, model string) (proto.Message, bool) {
	f := messageFor(module, model)
	if f == nil {
		return nil, false
	}
	return f(), true
}

// messageFor returns the message type of a model of module, or nil.
func messageFor(module, model string) func() proto.Message {
	c := converters[module]
	if c == nil {
		c = messages[module]
	}
	if c == nil {
		return nil
	}
	switch {
	case strings.Contains(model, "Param"):
		return c.param
	case strings.Contains(model, "Meta"):
		return c.meta
	}
	return nil
}

// Scan reports every place in a component's buffers where an old party id
// (per role, in old) appears in a party-bearing form. It works on the wire
// format without decoding, guided by the message descriptors for known
// modules. Buffers of known modules that are malformed are an *Error
// wrapping ErrDecode. Findings come in model name order, then in the order
// of the buffer's fields.
func Scan(module string, models map[string][]byte, old map[string][]int64) ([]Finding, error) {
	w := &walker{old: newOldIDs(old)}
	names := make([]string, 0, len(models))
	for name := range models {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		b := models[name]
		w.model = name
		if newMsg := messageFor(module, name); newMsg != nil {
			n := len(w.found)
			if err := w.typed(b, newMsg().ProtoReflect().Descriptor(), 0); err != nil {
				if bytes.Equal(b, fillMessage) {
					w.found = w.found[:n] // FATE reads the filler as an empty message
					continue
				}
				return nil, &Error{Module: module, Model: name, Err: err}
			}
			continue
		}
		w.blob(b, 0)
	}
	return w.found, nil
}

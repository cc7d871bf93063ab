package convert

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"google.golang.org/protobuf/proto"
)

// Mapping maps, per role, each old party id to its new id.
type Mapping map[string]map[int64]int64

// Options tune a conversion.
type Options struct {
	// FATECompat reproduces FATE 1.9+'s output exactly, omissions included
	// (SecureBoost anonymous_name_mapping and binning transform_* left as they are).
	FATECompat bool
	// FATEVersion is the model's fate_version (from the pipeline). It is
	// informational: planrun applies FATE 1.9+'s rules to every version
	// (see the package documentation).
	FATEVersion string
	// Role and PartyID are the (old) party whose model this is.
	Role    string
	PartyID int64
	// Component is the component name (e.g. "hetero_secureboost_0"); it
	// only names the component in errors.
	Component string
}

// fillMessage is what FATE stores for an empty message
// (DefaultEmptyFillMessage{flag: "set"}).
var fillMessage = []byte{0x0a, 0x03, 's', 'e', 't'}

// converter is one module's rewrite of its Param message.
type converter struct {
	param, meta func() proto.Message
	convert     func(param proto.Message, r *replacer) error
	// rewrite, when set, converts the encoded Param itself (returning it
	// unchanged when r records no change) instead of convert.
	rewrite func(b []byte, r *replacer) ([]byte, error)
}

// converters lists the modules FATE has a converter for
// (model_migrate/converter_factory.py).
var converters = map[string]*converter{
	"HeteroSecureBoost":      sbtConverter,
	"HeteroFastSecureBoost":  sbtConverter,
	"HeteroPearson":          pearsonConverter,
	"HeteroFeatureBinning":   binningConverter,
	"HeteroFeatureSelection": selectionConverter,
	"DataTransform":          dataTransformConverter,
}

// HasConverter reports whether module has a converter; other modules are
// carried over byte for byte.
func HasConverter(module string) bool { return converters[module] != nil }

// Convert rewrites one component's buffers for new party ids. models maps a
// model name (e.g. "HeteroSecureBoostingTreeGuestParam") to its raw bytes;
// module is the component's module_name from define_meta.yaml. The result
// holds every model name: rewritten buffers re-encoded, others unchanged
// (the same slices). Errors are *Error values naming the model and field.
func Convert(module string, models map[string][]byte, m Mapping, opt Options) (map[string][]byte, error) {
	out := make(map[string][]byte, len(models))
	for name, b := range models {
		out[name] = b
	}
	c := converters[module]
	if c == nil {
		return out, nil
	}
	paramName, metaName, err := pickModels(models)
	if err != nil {
		return nil, &Error{Component: opt.Component, Module: module, Err: err}
	}
	if _, err := decode(models[metaName], c.meta); err != nil {
		return nil, modelError(module, metaName, opt, err)
	}
	r := newReplacer(m, opt)
	if c.rewrite != nil {
		b, err := c.rewrite(models[paramName], r)
		if err != nil {
			return nil, modelError(module, paramName, opt, err)
		}
		out[paramName] = b
		return out, nil
	}
	param, err := decode(models[paramName], c.param)
	if err != nil {
		return nil, modelError(module, paramName, opt, err)
	}
	if err := c.convert(param, r); err != nil {
		return nil, modelError(module, paramName, opt, err)
	}
	if r.changed {
		b, err := proto.MarshalOptions{Deterministic: true}.Marshal(param)
		if err != nil {
			return nil, modelError(module, paramName, opt, fmt.Errorf("encode: %w", err))
		}
		out[paramName] = b
	}
	return out, nil
}

// pickModels finds the Param and Meta buffers by name, as FATE does
// (a name containing "Param", a name containing "Meta"); several of
// either is ambiguous and refused.
func pickModels(models map[string][]byte) (param, meta string, err error) {
	names := make([]string, 0, len(models))
	for name := range models {
		names = append(names, name)
	}
	sort.Strings(names)
	var params, metas []string
	for _, name := range names {
		if strings.Contains(name, "Param") {
			params = append(params, name)
		}
		if strings.Contains(name, "Meta") {
			metas = append(metas, name)
		}
	}
	if len(params) != 1 || len(metas) != 1 {
		return "", "", fmt.Errorf("%w: want one Param and one Meta model, have %q and %q", ErrMissingModel, params, metas)
	}
	return params[0], metas[0], nil
}

// decode parses b into a new message. FATE's empty-message filler, when it
// does not parse as the message, is an empty message (as FATE reads it).
func decode(b []byte, newMsg func() proto.Message) (proto.Message, error) {
	msg := newMsg()
	if err := proto.Unmarshal(b, msg); err != nil {
		if bytes.Equal(b, fillMessage) {
			return newMsg(), nil
		}
		return nil, fmt.Errorf("%w as %s: %v", ErrDecode, msg.ProtoReflect().Descriptor().FullName().Name(), err)
	}
	return msg, nil
}

// Package convert holds the per-component converters of FATE's model
// migration (SecureBoost, binning, selection, Pearson, DataTransform) and a
// residue scan over component buffers. Buffers are rewritten field for field
// as FATE's converters do; components without a converter are carried over
// byte for byte; unknown protobuf fields survive a rewrite untouched.
package convert

import "errors"

// Mapping maps, per role, each old party id to its new id.
type Mapping map[string]map[int64]int64

// Options tune a conversion.
type Options struct {
	// FATECompat reproduces FATE 1.9+'s output exactly, omissions included
	// (SecureBoost anonymous_name_mapping and binning transform_* left as they are).
	FATECompat bool
	// FATEVersion is the model's fate_version (from the pipeline).
	FATEVersion string
	// Role and PartyID are the (old) party whose model this is.
	Role    string
	PartyID int64
}

// Convert rewrites one component's buffers for new party ids. models maps a
// model name (e.g. "HeteroSecureBoostingTreeGuestParam") to its raw bytes;
// module is the component's module_name from define_meta.yaml. The result
// holds every model name: rewritten buffers re-encoded, others unchanged.
func Convert(module string, models map[string][]byte, m Mapping, opt Options) (map[string][]byte, error) {
	return nil, errors.New("convert: not implemented yet")
}

// Finding is one old party id left in a buffer.
type Finding struct {
	Model string // model name (buffer file name)
	Field string // field path inside the message, e.g. "trees_[3].tree_[0].sitename"
	Value string
}

// Scan reports every place in a component's buffers where an old party id
// (a key of old, per role) appears in a party-bearing form.
func Scan(module string, models map[string][]byte, old map[string][]int64) ([]Finding, error) {
	return nil, errors.New("convert: not implemented yet")
}

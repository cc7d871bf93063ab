package sample

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Party is one party of the model.
type Party struct {
	Role string // guest, host or arbiter
	ID   int64
}

func (p Party) String() string { return p.Role + ":" + strconv.FormatInt(p.ID, 10) }

// Module names of the components the generator can write.
const (
	DataTransform          = "DataTransform"
	DataIO                 = "DataIO" // what DataTransform is before FATE 1.7
	HeteroFeatureBinning   = "HeteroFeatureBinning"
	HeteroFeatureSelection = "HeteroFeatureSelection"
	HeteroSecureBoost      = "HeteroSecureBoost"
	HeteroPearson          = "HeteroPearson"
)

// DefaultComponents are the modules written when Options.Components is empty.
var DefaultComponents = []string{DataTransform, HeteroFeatureBinning, HeteroFeatureSelection, HeteroSecureBoost}

// Options choose what to write. The zero value writes the default model.
type Options struct {
	// Parties default to guest 9999, host 10000, arbiter 10000. The first
	// guest is the initiator; there must be one guest and at least one host.
	Parties []Party
	// ModelID defaults to FATE's gen_model_id of the parties
	// ("arbiter-10000#guest-9999#host-10000#model").
	ModelID string
	// Version defaults to "202311251200000000000".
	Version string
	// Components are module names, written in this order as <module>_0
	// components (data_transform_0, hetero_feature_binning_0, …); default
	// DefaultComponents. DataTransform is written as DataIO (dataio_0) for
	// FATE versions before 1.7.
	Components []string
	// FATEVersion picks the layout: "1.11.2" by default; 1.7 and 1.8 add
	// pipeline.pb and define/proto/pipeline.proto; 1.5 and 1.6 also drop
	// the .json twins and run_parameters and keep every .proto in
	// define/proto.
	FATEVersion string
	// SizeBytes is the target size of each party's SecureBoost Param
	// buffer; 0 means a small model (8 trees). Trees are added until the
	// buffer reaches the target.
	SizeBytes int64
	// TreeDepth is the depth of every SecureBoost tree (default 5).
	TreeDepth int
	// Seed makes the numbers (split points, weights, importances) differ
	// between models; the same options give the same bytes.
	Seed uint64
	// NoJSON skips the .json twins even where the layout has them (they
	// triple the size of big SecureBoost models).
	NoJSON bool
	// Checkpoints also writes checkpoint/<component>/<step>#<name>/ for
	// SecureBoost (FATE 1.7+).
	Checkpoints bool
}

// defaults fills in the zero fields and checks the rest.
func (o Options) defaults() (Options, error) {
	if len(o.Parties) == 0 {
		o.Parties = []Party{{"guest", 9999}, {"host", 10000}, {"arbiter", 10000}}
	}
	var guests, hosts int
	seen := map[Party]bool{}
	for _, p := range o.Parties {
		switch p.Role {
		case "guest":
			guests++
		case "host":
			hosts++
		case "arbiter":
		default:
			return o, invalid("check parties: unknown role %q (want guest, host or arbiter)", p.Role)
		}
		if seen[p] {
			return o, invalid("check parties: %s given twice", p)
		}
		seen[p] = true
	}
	if guests != 1 || hosts == 0 {
		return o, invalid("check parties: want one guest and at least one host, have %d guests and %d hosts", guests, hosts)
	}
	if o.ModelID == "" {
		o.ModelID = ModelID(o.Parties)
	}
	if strings.ContainsAny(o.ModelID, "/\\") || o.ModelID == "." || o.ModelID == ".." {
		return o, invalid("check model id %q: must not contain a path separator", o.ModelID)
	}
	if o.Version == "" {
		o.Version = "202311251200000000000"
	}
	if strings.ContainsAny(o.Version, "/\\#") || o.Version == "." || o.Version == ".." {
		return o, invalid("check version %q: must not contain '/', '\\\\' or '#'", o.Version)
	}
	if o.FATEVersion == "" {
		o.FATEVersion = "1.11.2"
	}
	if _, _, err := majorMinor(o.FATEVersion); err != nil {
		return o, err
	}
	if len(o.Components) == 0 {
		o.Components = DefaultComponents
	}
	seenMod := map[string]bool{}
	for _, c := range o.Components {
		switch c {
		case DataTransform, DataIO, HeteroFeatureBinning, HeteroFeatureSelection, HeteroSecureBoost, HeteroPearson:
		default:
			return o, invalid("check components: unknown module %q (want %s)", c, strings.Join([]string{DataTransform, HeteroFeatureBinning, HeteroFeatureSelection, HeteroSecureBoost, HeteroPearson}, ", "))
		}
		if seenMod[c] {
			return o, invalid("check components: %s given twice", c)
		}
		seenMod[c] = true
	}
	if o.SizeBytes < 0 {
		return o, invalid("check size: %d is negative", o.SizeBytes)
	}
	if o.TreeDepth == 0 {
		o.TreeDepth = 5
	}
	if o.TreeDepth < 1 || o.TreeDepth > 16 {
		return o, invalid("check tree depth: %d is not within 1..16", o.TreeDepth)
	}
	return o, nil
}

// ModelID is FATE's gen_model_id: roles sorted, each "role-" and its sorted
// distinct ids joined by '_', joined by '#', then "#model".
func ModelID(parties []Party) string {
	ids := map[string][]int64{}
	for _, p := range parties {
		ids[p.Role] = append(ids[p.Role], p.ID)
	}
	roles := make([]string, 0, len(ids))
	for r := range ids {
		roles = append(roles, r)
	}
	sort.Strings(roles)
	parts := make([]string, 0, len(roles))
	for _, r := range roles {
		list := ids[r]
		sort.Slice(list, func(i, j int) bool { return list[i] < list[j] })
		var s []string
		for i, id := range list {
			if i == 0 || id != list[i-1] {
				s = append(s, strconv.FormatInt(id, 10))
			}
		}
		parts = append(parts, r+"-"+strings.Join(s, "_"))
	}
	key := strings.Join(parts, "#")
	if key == "" {
		key = "all"
	}
	return key + "#model"
}

// ParseParties reads "guest:9999,host:10000,arbiter:10000".
func ParseParties(s string) ([]Party, error) {
	var out []Party
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		role, id, ok := strings.Cut(item, ":")
		if !ok {
			return nil, fmt.Errorf("parse party %q: want role:party_id", item)
		}
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("parse party %q: party id is not an integer", item)
		}
		out = append(out, Party{Role: role, ID: n})
	}
	return out, nil
}

func majorMinor(v string) (int, int, error) {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return 0, 0, invalid("check FATE version %q: want major.minor[.patch]", v)
	}
	ma, err1 := strconv.Atoi(parts[0])
	mi, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil || ma != 1 || mi < 5 {
		return 0, 0, invalid("check FATE version %q: want 1.5 to 1.11", v)
	}
	return ma, mi, nil
}

// OptionsError is an invalid option given to Write; nothing was written.
type OptionsError struct{ Err error }

func (e *OptionsError) Error() string { return e.Err.Error() }
func (e *OptionsError) Unwrap() error { return e.Err }

func invalid(format string, a ...any) error {
	return &OptionsError{Err: fmt.Errorf(format, a...)}
}

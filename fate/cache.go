package fate

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// PartyModel is one party's model version directory in a model_local_cache.
type PartyModel struct {
	Role    string
	PartyID int64
	Dir     string // <cache>/<role>#<party_id>#<model_id>/<version>
}

// FindParties lists every party's copy of a model version in a
// model_local_cache directory (`<role>#<party_id>#<model_id>/<version>`),
// sorted by role and party id.
func FindParties(cacheDir, modelID, version string) ([]PartyModel, error) {
	entries, err := os.ReadDir(cacheDir)
	if err != nil {
		return nil, fmt.Errorf("list model cache: %w", err)
	}
	var out []PartyModel
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		role, pid, mid, err := ParsePartyModelID(e.Name())
		if err != nil || mid != modelID {
			continue
		}
		dir := filepath.Join(cacheDir, e.Name(), version)
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			continue
		}
		out = append(out, PartyModel{Role: role, PartyID: pid, Dir: dir})
	}
	slices.SortFunc(out, func(a, b PartyModel) int {
		if c := strings.Compare(a.Role, b.Role); c != 0 {
			return c
		}
		return int(a.PartyID - b.PartyID)
	})
	if len(out) == 0 {
		return nil, fmt.Errorf("no party of model %s version %s in %s", modelID, version, cacheDir)
	}
	return out, nil
}

// IsModelCache reports whether dir looks like a model_local_cache: it is
// not itself a model, and holds `<role>#<party_id>#<model_id>` directories.
func IsModelCache(dir string) bool {
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return false
	}
	if _, err := os.Stat(filepath.Join(dir, defineMetaPath)); err == nil {
		return false
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if _, _, _, err := ParsePartyModelID(e.Name()); err == nil && e.IsDir() {
			return true
		}
	}
	return false
}

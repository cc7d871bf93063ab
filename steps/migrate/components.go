package migrate

import (
	"context"
	"fmt"
	"io"
	"path"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/planrun/planrun/fate"
	"github.com/planrun/planrun/fate/flow"
	"github.com/planrun/planrun/hosts"
	"github.com/planrun/planrun/steps"
)

// checkComponents compares the components of the source model and of the
// migrated one when both are readable on the FATE Flow host (its
// fate_base is set and the models are in its model_local_cache). FATE
// 1.9+ takes the components from its database, so a model that was only
// copied into model_local_cache, never imported, is migrated with the
// pipeline alone while FATE reports success (FATE.md §6). When a side is
// not readable (the source lives on another cluster, or 1.5–1.8 removed
// the migrated directory) there is nothing to compare.
func checkComponents(ctx context.Context, env *steps.Env, host string, mc *fate.MigrateConfig, p flow.PartyResult) error {
	spec, ok := env.Hosts.Spec(host)
	if !ok || spec.FateBase == "" || p.PartyModelID == "" {
		return nil
	}
	oldID, err := strconv.ParseInt(p.PartyID, 10, 64)
	if err != nil {
		return nil
	}
	h, err := env.Hosts.Host(ctx, host)
	if err != nil {
		return nil
	}
	cache := path.Join(spec.FateBase, "model_local_cache")
	src, err := components(ctx, h, path.Join(cache, fate.PartyModelID(p.Role, oldID, mc.ModelID), mc.ModelVersion))
	if err != nil {
		return nil
	}
	dst, err := components(ctx, h, path.Join(cache, p.PartyModelID, p.ModelVersion))
	if err != nil {
		return nil
	}
	var missing []string
	for c := range src {
		if !dst[c] {
			missing = append(missing, c)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	sort.Strings(missing)
	return fmt.Errorf("migrate %s on %s: FATE Flow reported success but the migrated model %s %s lacks the components %s: "+
		"FATE 1.9+ migrates only what its database lists, and this model was copied into model_local_cache without "+
		"being imported there; import the old model on %s first, or use engine native",
		p.Party(), host, p.PartyModelID, p.ModelVersion, strings.Join(missing, ", "), host)
}

// components reads the component names of define/define_meta.yaml.
func components(ctx context.Context, h hosts.Host, dir string) (map[string]bool, error) {
	rc, err := h.Open(ctx, path.Join(dir, "define", "define_meta.yaml"))
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, 16<<20))
	if err != nil {
		return nil, err
	}
	var meta struct {
		ComponentDefine map[string]any `yaml:"component_define"`
	}
	if err := yaml.Unmarshal(b, &meta); err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for c := range meta.ComponentDefine {
		out[c] = true
	}
	return out, nil
}

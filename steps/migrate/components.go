package migrate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
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
// absent (the source lives on another cluster, or 1.5–1.8 removed the
// migrated directory) there is nothing to compare, and the log says so;
// a side that is there but cannot be read is an error.
func checkComponents(ctx context.Context, env *steps.Env, host string, mc *fate.MigrateConfig, p flow.PartyResult) error {
	spec, ok := env.Hosts.Spec(host)
	if !ok || spec.FateBase == "" {
		return nil
	}
	skip := func(why string) error {
		if env.Log != nil {
			fmt.Fprintf(env.Log, "  %s: components not compared: %s\n", p.Party(), why)
		}
		return nil
	}
	if p.PartyModelID == "" {
		return skip("the answer does not name the migrated model")
	}
	oldID, err := strconv.ParseInt(p.PartyID, 10, 64)
	if err != nil {
		return skip(fmt.Sprintf("old party id %q is not an integer", p.PartyID))
	}
	fail := func(err error) error {
		return fmt.Errorf("migrate %s on %s: FATE Flow reported success; compare the components of %s %s with the source's: %w",
			p.Party(), host, p.PartyModelID, p.ModelVersion, err)
	}
	h, err := env.Hosts.Host(ctx, host)
	if err != nil {
		return fail(err)
	}
	cache := path.Join(spec.FateBase, "model_local_cache")
	srcDir := path.Join(cache, fate.PartyModelID(p.Role, oldID, mc.ModelID), mc.ModelVersion)
	src, err := components(ctx, h, srcDir)
	if errors.Is(err, fs.ErrNotExist) {
		return skip("the source model is not in " + cache + " on " + host)
	} else if err != nil {
		return fail(err)
	}
	dstDir := path.Join(cache, p.PartyModelID, p.ModelVersion)
	dst, err := components(ctx, h, dstDir)
	if errors.Is(err, fs.ErrNotExist) {
		return skip("the migrated model is not in " + cache + " on " + host + " (FATE 1.5–1.8 remove it once it is zipped)")
	} else if err != nil {
		return fail(err)
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
	name := path.Join(dir, "define", "define_meta.yaml")
	rc, err := h.Open(ctx, name)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	var meta struct {
		ComponentDefine map[string]any `yaml:"component_define"`
	}
	if err := yaml.Unmarshal(b, &meta); err != nil {
		return nil, fmt.Errorf("parse %s: %w", name, err)
	}
	out := map[string]bool{}
	for c := range meta.ComponentDefine {
		out[c] = true
	}
	return out, nil
}

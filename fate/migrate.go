package fate

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/planrun/planrun/fate/convert"
)

// Migrate rewrites one party's model for its new party ids, offline, and
// writes `<OutDir>/<new party_model_id>_<version>.zip` (via a temporary
// file and a rename). Every check runs before anything is written; the
// source is only read.
//
// The version is Config.UnifyModelVersion, or, when that is empty, the
// source model's version: FATE defaults it to the migration job's id, and
// planrun runs no job (a fixed default also keeps a re-run's output the
// same).
func Migrate(ctx context.Context, req MigrateRequest) (*MigrateResult, error) {
	if req.Config == nil {
		return nil, fmt.Errorf("migrate model %s: no migrate config", req.Src)
	}
	if err := req.Config.Validate(); err != nil {
		return nil, fmt.Errorf("migrate model %s: %w", req.Src, err)
	}
	m, err := OpenModel(req.Src, req.Limits)
	if err != nil {
		return nil, err
	}
	defer m.Close()
	plan, err := planMigration(m, req)
	if err != nil {
		return nil, fmt.Errorf("migrate model %s: %w", req.Src, err)
	}
	entries, err := plan.entries(ctx, m, req)
	if err != nil {
		return nil, fmt.Errorf("migrate model %s: %w", req.Src, err)
	}
	zipPath := filepath.Join(req.OutDir, plan.partyModelID+"_"+plan.version+".zip")
	abs, err := filepath.Abs(zipPath)
	if err != nil {
		return nil, fmt.Errorf("migrate model %s: %w", req.Src, err)
	}
	entries = append(entries, archiveEntry{name: importConfigPath, modTime: m.modTime,
		data: importConfigJSON(plan.role, plan.newPartyID, plan.modelID, plan.version, abs)})
	sum, err := writeFileAtomic(ctx, zipPath, func(w io.Writer) error {
		return writeArchive(ctx, w, archiveOrder(entries), req.Workers)
	})
	if err != nil {
		return nil, fmt.Errorf("migrate model %s: write %s: %w", req.Src, zipPath, err)
	}
	return &MigrateResult{ModelID: plan.modelID, PartyModelID: plan.partyModelID,
		ModelVersion: plan.version, Zip: zipPath, SHA256: sum}, nil
}

// migration is what a checked request resolves to.
type migration struct {
	role             string
	oldPartyID       int64
	newPartyID       int64
	modelID, version string
	partyModelID     string
	pipelineFile     string
	cfg              *MigrateConfig
	compat           Compat
}

// planMigration runs every check of a request against the model.
func planMigration(m *Model, req MigrateRequest) (*migration, error) {
	c := req.Config
	role, pid := req.Role, req.PartyID
	if role == "" {
		if m.Role == "" {
			return nil, fmt.Errorf("no party given and the model's name does not say (want <role>#<party_id>#<model_id>)")
		}
		role, pid = m.Role, m.PartyID
	}
	if m.Role != "" && (m.Role != role || m.PartyID != pid) {
		return nil, fmt.Errorf("party %s:%d asked for, but the model is %s:%d's (from its name)", role, pid, m.Role, m.PartyID)
	}
	ids, ok := c.Role[role]
	if !ok || !slices.Contains(ids, pid) {
		return nil, fmt.Errorf("config role.%s: party %s:%d is not in it (%v), so it has no new id", role, role, pid, ids)
	}
	if ex, ok := c.ExecuteParty[role]; !ok || !slices.Contains(ex, pid) {
		return nil, fmt.Errorf("config execute_party.%s: party %s:%d is not in it (%v)", role, role, pid, ex)
	}
	pipeFile := pipelineBuffer
	if !m.Has(pipeFile) {
		pipeFile = pipelinePBPath
	}
	p := m.Pipeline
	if p.ModelId != "" && p.ModelId != c.ModelID {
		return nil, fmt.Errorf("%s: model_id is %q, the config's model_id is %q", pipeFile, p.ModelId, c.ModelID)
	}
	if p.ModelVersion != "" && p.ModelVersion != c.ModelVersion {
		return nil, fmt.Errorf("%s: model_version is %q, the config's model_version is %q", pipeFile, p.ModelVersion, c.ModelVersion)
	}
	trc, err := pipelineDoc(p.TrainRuntimeConf, "train_runtime_conf")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", pipeFile, err)
	}
	var probs []string
	add := func(path, msg string) { probs = append(probs, path+": "+msg) }
	modelRoles := decodeRoles(trc.get("role"), pipeFile+": train_runtime_conf.role", add)
	if trc.get("role") == nil {
		add(pipeFile+": train_runtime_conf.role", "missing")
	}
	if len(probs) == 0 {
		for _, r := range sortedKeys(c.Role) {
			if !sameSet(modelRoles[r], c.Role[r]) {
				add(pipeFile+": train_runtime_conf.role."+r, fmt.Sprintf("the model has %v, the config's role.%s has %v", modelRoles[r], r, c.Role[r]))
			}
		}
		for _, r := range sortedKeys(modelRoles) {
			if _, ok := c.Role[r]; !ok {
				add(pipeFile+": train_runtime_conf.role."+r, fmt.Sprintf("the model has role %s %v, the config's role does not", r, modelRoles[r]))
			}
		}
	}
	if len(probs) > 0 {
		return nil, fmt.Errorf("the model's roles disagree with the config:\n  %s", strings.Join(probs, "\n  "))
	}
	mp := c.Mapping()
	mig := &migration{role: role, oldPartyID: pid, newPartyID: mp[role][pid], cfg: c, compat: req.Compat,
		modelID: GenModelID(c.MigrateRole), pipelineFile: pipeFile}
	mig.version = c.UnifyModelVersion
	if mig.version == "" {
		mig.version = c.ModelVersion
	}
	mig.partyModelID = PartyModelID(role, mig.newPartyID, mig.modelID)
	if strings.ContainsAny(mig.version, `/\`) || mig.version == "." || mig.version == ".." {
		return nil, fmt.Errorf("model version %q cannot name a file", mig.version)
	}
	return mig, nil
}

// entries builds the archive's entries: converted buffers, the rewritten
// pipeline, regenerated .json twins of changed buffers, and every other
// file carried over as it is.
func (g *migration) entries(ctx context.Context, m *Model, req MigrateRequest) ([]archiveEntry, error) {
	changed, err := g.convertComponents(ctx, m)
	if err != nil {
		return nil, err
	}
	np, err := migratePipeline(m.Pipeline, g.cfg, g.modelID, g.version)
	if err == nil && g.compat != CompatFATE {
		err = migrateLocalParty(np, g.newPartyID)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", g.pipelineFile, err)
	}
	pipeBytes, err := marshalBuffer(np)
	if err != nil {
		return nil, fmt.Errorf("encode pipeline: %w", err)
	}
	for _, f := range []string{pipelineBuffer, pipelinePBPath} {
		if m.Has(f) {
			changed[f] = rewritten{data: pipeBytes, json: messageToDict(np.ProtoReflect()).pyDumps()}
		}
	}
	var out []archiveEntry
	for _, d := range m.dirs {
		out = append(out, archiveEntry{name: d + "/", modTime: m.modTime})
	}
	for _, f := range m.files {
		switch {
		case f.path == importConfigPath:
			continue // written anew
		case changed[f.path].data != nil:
			out = append(out, archiveEntry{name: f.path, modTime: f.modTime, data: changed[f.path].data})
			continue
		}
		if buf, ok := strings.CutSuffix(f.path, ".json"); ok && changed[buf].data != nil {
			if j := changed[buf].json; j != nil {
				out = append(out, archiveEntry{name: f.path, modTime: f.modTime, data: j})
			}
			continue // no faithful twin for this message: leave it out rather than stale
		}
		p := f.path
		out = append(out, archiveEntry{name: p, modTime: f.modTime, open: func() (io.ReadCloser, error) { return m.Open(p) }})
	}
	return out, nil
}

// rewritten is a buffer's new bytes and, when its message type is known,
// its .json twin.
type rewritten struct {
	data []byte
	json []byte
}

// convertComponents runs every component (but the pipeline) through its
// converter, concurrently, and returns the buffers that changed.
func (g *migration) convertComponents(ctx context.Context, m *Model) (map[string]rewritten, error) {
	var mu sync.Mutex
	changed := map[string]rewritten{}
	eg, ctx := errgroup.WithContext(ctx)
	eg.SetLimit(runtime.GOMAXPROCS(0))
	fateVersion := m.Pipeline.FateVersion
	for _, md := range m.Define.Models {
		if md.Component == "pipeline" {
			continue
		}
		eg.Go(func() error {
			if err := ctx.Err(); err != nil {
				return err
			}
			module := m.Define.Module(md.Component)
			models := map[string][]byte{}
			for _, b := range md.Buffers {
				data, err := m.ReadFile(m.BufferPath(md, b.Name))
				if err != nil {
					return err
				}
				models[b.Name] = data
			}
			out, err := convert.Convert(module, models, g.cfg.Mapping(), convert.Options{
				FATECompat: g.compat == CompatFATE, FATEVersion: fateVersion,
				Role: g.role, PartyID: g.oldPartyID, Component: md.Component,
			})
			if err != nil {
				return fmt.Errorf("convert %s: %w", path.Join("variables/data", md.Component, md.Alias), err)
			}
			for _, b := range md.Buffers {
				nb, ok := out[b.Name]
				if !ok || bytes.Equal(nb, models[b.Name]) {
					continue
				}
				if len(nb) == 0 {
					nb = fillMessage
				}
				rw := rewritten{data: nb}
				if m.Has(m.BufferPath(md, b.Name) + ".json") {
					rw.json = twinJSON(b.Proto, nb)
				}
				mu.Lock()
				changed[m.BufferPath(md, b.Name)] = rw
				mu.Unlock()
			}
			return nil
		})
	}
	return changed, eg.Wait()
}

// importConfigJSON is the import_model.json FATE 1.9+ packs into an
// archive (json.dump with indent=4).
func importConfigJSON(role string, partyID int64, modelID, version, file string) []byte {
	o := jsonObj()
	o.set("role", jsonStr(role))
	o.set("party_id", jsonInt(partyID))
	o.set("model_id", jsonStr(modelID))
	o.set("model_version", jsonStr(version))
	o.set("file", jsonStr(file))
	o.set("force_update", jsonBoolean(false))
	return o.pyDumpsIndent(4)
}

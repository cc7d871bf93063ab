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
	if inside(req.OutDir, req.Src) {
		return nil, fmt.Errorf("migrate model %s: the output directory %s is inside the source model, which is never modified", req.Src, req.OutDir)
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
	entries, err := plan.entries(ctx, m)
	if err != nil {
		return nil, fmt.Errorf("migrate model %s: %w", req.Src, err)
	}
	zipName := plan.partyModelID + "_" + plan.version + ".zip"
	zipPath := filepath.Join(req.OutDir, zipName)
	entries = append(entries, archiveEntry{name: importConfigPath, modTime: m.modTime,
		data: importConfigJSON(plan.role, plan.newPartyID, plan.modelID, plan.version, zipName)})
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
			if lr, lp, ok := localParty(m.Pipeline.RuntimeConfOnParty); ok {
				role, pid = lr, lp
			} else {
				return nil, fmt.Errorf("no party given, and neither the model's name (<role>#<party_id>#<model_id>) nor its runtime_conf_on_party.local says which it is")
			}
		} else {
			role, pid = m.Role, m.PartyID
		}
	}
	if m.Role != "" && (m.Role != role || m.PartyID != pid) {
		return nil, fmt.Errorf("party %s:%d asked for, but the model is %s:%d's (from its name)", role, pid, m.Role, m.PartyID)
	}
	// The pipeline says whose model it is too (1.5+). A role never
	// changes in a migration, so another role there is another party's
	// model, whatever its directory is called. Another party id is
	// believed only without a name: FATE 1.5–1.8 leave it stale after a
	// migration, and the name is then right.
	if lr, lp, ok := localParty(m.Pipeline.RuntimeConfOnParty); ok {
		switch {
		case lr != role:
			return nil, fmt.Errorf("party %s:%d asked for, but the model is %s:%d's (its pipeline's runtime_conf_on_party.local)", role, pid, lr, lp)
		case lp != pid && m.Role == "":
			return nil, fmt.Errorf("party %s:%d asked for, but the model is %s:%d's (its pipeline's runtime_conf_on_party.local; "+
				"if that is stale, as FATE 1.5–1.8 leave it after a migration, keep the model in a directory named "+
				"<role>#<party_id>#<model_id>/<version>: the name then decides)", role, pid, lr, lp)
		}
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

// entries builds the archive's entries: converted buffers (and
// checkpoints), the rewritten pipeline, regenerated .json twins of changed
// buffers, and every other file carried over as it is. Under CompatFATE,
// checkpoint/ and define/proto/ are left out and every buffer gets a .json
// twin, as FATE 1.9+ does.
func (g *migration) entries(ctx context.Context, m *Model) ([]archiveEntry, error) {
	changed, err := g.convertAll(ctx, m)
	if err != nil {
		return nil, err
	}
	np, err := migratePipeline(m.Pipeline, g.cfg, g.modelID, g.version, g.compat != CompatFATE)
	if err == nil && g.compat != CompatFATE {
		err = migrateLocalParty(np, g.newPartyID)
		if err == nil {
			err = migrateParentInfo(np, []string{m.Pipeline.ModelId, GenModelID(g.cfg.Role)}, g.modelID)
		}
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
			changed.set(f, pipeBytes)
		}
	}
	if m.Has(pipelineBuffer + ".json") {
		changed.set(pipelineBuffer+".json", dictJSON(np.ProtoReflect()))
	}
	var out []archiveEntry
	dropped := func(p string) bool {
		return g.compat == CompatFATE && (p == "checkpoint" || strings.HasPrefix(p, "checkpoint/") ||
			p == "define/proto" || strings.HasPrefix(p, "define/proto/"))
	}
	for _, d := range m.dirs {
		if !dropped(d) {
			out = append(out, archiveEntry{name: d + "/", modTime: m.modTime})
		}
	}
	for _, f := range m.files {
		rw, ok := changed.get(f.path)
		switch {
		case f.path == importConfigPath || dropped(f.path):
			continue // import_model.json is written anew
		case ok && rw == nil:
			continue // no faithful .json twin for this message: left out rather than stale
		case ok:
			out = append(out, archiveEntry{name: f.path, modTime: f.modTime, data: rw})
		default:
			p := f.path
			out = append(out, archiveEntry{name: p, modTime: f.modTime, open: func() (io.ReadCloser, error) { return m.Open(p) }})
		}
	}
	if g.compat == CompatFATE {
		twins, err := missingTwins(m, changed)
		if err != nil {
			return nil, err
		}
		out = append(out, twins...)
	}
	return out, nil
}

// missingTwins writes the .json twin of every buffer that has none, as
// FATE 1.9+ saves one with every buffer (when the message type is known).
func missingTwins(m *Model, changed *rewrites) ([]archiveEntry, error) {
	var out []archiveEntry
	for _, md := range m.Define.Models {
		for _, b := range md.Buffers {
			p := m.BufferPath(md, b.Name)
			if m.Has(p+".json") || messageType(b.Proto) == nil {
				continue
			}
			data, ok := changed.get(p)
			if !ok {
				var err error
				if data, err = m.ReadFile(p); err != nil {
					return nil, err
				}
			}
			if twin := twinJSON(b.Proto, data); twin != nil {
				out = append(out, archiveEntry{name: p + ".json", modTime: m.modTime, data: twin})
			}
		}
	}
	return out, nil
}

// rewrites holds the new content of changed files (nil: leave it out).
type rewrites struct {
	mu    sync.Mutex
	files map[string][]byte
}

func (r *rewrites) set(p string, data []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.files == nil {
		r.files = map[string][]byte{}
	}
	r.files[p] = data
}

func (r *rewrites) get(p string) ([]byte, bool) {
	d, ok := r.files[p]
	return d, ok
}

// bufferGroup is one set of buffers converted together: a component's
// alias, or one checkpoint step.
type bufferGroup struct {
	name    string // for errors
	module  string
	paths   map[string]string // model name → file
	classes map[string]string // model name → proto class
	twin    func(path string) string
	after   func(old, new map[string][]byte) error // e.g. update checkpoint hashes
}

// convertAll runs every component (but the pipeline) and, unless
// CompatFATE, every checkpoint through its converter, concurrently.
func (g *migration) convertAll(ctx context.Context, m *Model) (*rewrites, error) {
	changed := &rewrites{}
	groups := []bufferGroup{}
	for _, md := range m.Define.Models {
		if md.Component == "pipeline" {
			continue
		}
		bg := bufferGroup{name: path.Join("variables/data", md.Component, md.Alias), module: m.Define.Module(md.Component),
			paths: map[string]string{}, classes: map[string]string{}, twin: func(p string) string { return p + ".json" }}
		for _, b := range md.Buffers {
			bg.paths[b.Name] = m.BufferPath(md, b.Name)
			bg.classes[b.Name] = b.Proto
		}
		groups = append(groups, bg)
	}
	if g.compat != CompatFATE {
		cps, err := checkpointGroups(m, changed)
		if err != nil {
			return nil, err
		}
		groups = append(groups, cps...)
	}
	eg, ctx := errgroup.WithContext(ctx)
	eg.SetLimit(runtime.GOMAXPROCS(0))
	for _, bg := range groups {
		eg.Go(func() error {
			if err := ctx.Err(); err != nil {
				return err
			}
			return g.convertGroup(m, bg, changed)
		})
	}
	return changed, eg.Wait()
}

func (g *migration) convertGroup(m *Model, bg bufferGroup, changed *rewrites) error {
	models := map[string][]byte{}
	for name, p := range bg.paths {
		data, err := m.ReadFile(p)
		if err != nil {
			return err
		}
		models[name] = data
	}
	out, err := convert.Convert(bg.module, models, g.cfg.Mapping(), convert.Options{
		FATECompat: g.compat == CompatFATE, FATEVersion: m.Pipeline.FateVersion,
		Role: g.role, PartyID: g.oldPartyID, Component: bg.name,
	})
	if err != nil {
		return fmt.Errorf("convert %s: %w", bg.name, err)
	}
	news := map[string][]byte{}
	for name, p := range bg.paths {
		nb, ok := out[name]
		if !ok || bytes.Equal(nb, models[name]) {
			continue
		}
		if len(nb) == 0 {
			nb = fillMessage
		}
		news[name] = nb
		changed.set(p, nb)
		if tw := bg.twin(p); m.Has(tw) {
			changed.set(tw, twinJSON(bg.classes[name], nb))
		}
	}
	if bg.after != nil && len(news) > 0 {
		return bg.after(models, news)
	}
	return nil
}

// importConfigJSON is the import_model.json FATE 1.9+ packs into an
// archive (json.dump with indent=4). FATE's "file" is where its server
// wrote the zip; here it is the zip's name: the directory this run wrote
// it to means nothing on the cluster that imports it, and would make
// the same migration give different bytes from run to run (and an
// import of the same model then refused as different).
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

// localParty reads runtime_conf_on_party.local {role, party_id}: the party
// a 1.5+ model belongs to.
func localParty(rcop []byte) (string, int64, bool) {
	if len(rcop) == 0 {
		return "", 0, false
	}
	doc, err := parseJSON(rcop)
	if err != nil {
		return "", 0, false
	}
	local := doc.get("local")
	role, id := local.get("role"), local.get("party_id")
	n, ok := id.asInt()
	if role == nil || role.kind != jsonString || !ok {
		return "", 0, false
	}
	return role.text, n, true
}

// inside reports whether path is dir or below it.
func inside(path, dir string) bool {
	p, err1 := filepath.Abs(path)
	d, err2 := filepath.Abs(dir)
	if err1 != nil || err2 != nil {
		return false
	}
	rel, err := filepath.Rel(d, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

package fate

import (
	"fmt"
	"path"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/planrun/planrun/fate/convert"
	"github.com/planrun/planrun/fate/pb"
)

// Residue is one old party id left in a model: the file, the field path
// inside it (a protobuf field path, a JSON path, or a YAML path) and the
// value holding the id.
type Residue struct {
	File  string `json:"file"`
	Field string `json:"field"`
	Value string `json:"value"`
}

func (r Residue) String() string { return r.File + ": " + r.Field + ": " + strconv.Quote(r.Value) }

// Scan opens a model (a directory or a zip) and reports every place where
// an old party id (per role, in old) is left in a party-bearing form: in
// every component buffer (via convert.Scan), the pipeline and its JSON
// fields, every JSON document (.json twins, run_parameters,
// import_model.json, checkpoints) and every YAML file.
func Scan(modelPath string, old map[string][]int64) ([]Residue, error) {
	m, err := OpenModel(modelPath, ZipLimits{})
	if err != nil {
		return nil, err
	}
	defer m.Close()
	return m.Scan(old)
}

// ScanFor is Scan with the ids cfg changes, once the model is shown to be
// one cfg describes: its train_runtime_conf roles are cfg's role (not
// migrated yet) or its migrate_role (migrated). A config of another
// model would find none of its ids there and call it clean.
func ScanFor(modelPath string, cfg *MigrateConfig) ([]Residue, error) {
	m, err := OpenModel(modelPath, ZipLimits{})
	if err != nil {
		return nil, err
	}
	defer m.Close()
	if err := m.fitsConfig(cfg); err != nil {
		return nil, err
	}
	return m.Scan(cfg.Changed())
}

// fitsConfig checks that cfg describes m (see ScanFor). A model whose
// pipeline names no roles is taken as it is.
func (m *Model) fitsConfig(cfg *MigrateConfig) error {
	if m.Pipeline == nil {
		return nil
	}
	trc, err := pipelineDoc(m.Pipeline.TrainRuntimeConf, "train_runtime_conf")
	if err != nil {
		return err
	}
	roles := decodeRoles(trc.get("role"), "train_runtime_conf.role", func(string, string) {})
	if len(roles) == 0 || sameRoles(roles, cfg.Role) || sameRoles(roles, cfg.MigrateRole) {
		return nil
	}
	return fmt.Errorf("the config is not this model's: the model's parties are %s, the config's role is %s and its migrate_role %s",
		rolesText(roles), rolesText(cfg.Role), rolesText(cfg.MigrateRole))
}

// sameRoles reports whether a and b list the same ids for the same roles.
func sameRoles(a, b map[string][]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for r, ids := range a {
		if _, ok := b[r]; !ok || !sameSet(ids, b[r]) {
			return false
		}
	}
	return true
}

// rolesText is roles as "guest:9999 host:10000", roles in order.
func rolesText(roles map[string][]int64) string {
	var parts []string
	for _, r := range sortedKeys(roles) {
		for _, id := range roles[r] {
			parts = append(parts, fmt.Sprintf("%s:%d", r, id))
		}
	}
	if len(parts) == 0 {
		return "(none)"
	}
	return strings.Join(parts, " ")
}

// Scan reports the model's residue of old party ids (see Scan).
func (m *Model) Scan(old map[string][]int64) ([]Residue, error) {
	f := newPartyForms(old)
	var out []Residue
	emit := func(file string) func(field, value string) {
		return func(field, value string) {
			if len(value) > 256 {
				value = value[:256] + "…"
			}
			out = append(out, Residue{File: file, Field: field, Value: value})
		}
	}
	buffers := map[string]bool{}
	for _, md := range m.Define.Models {
		models := map[string][]byte{}
		for _, b := range md.Buffers {
			p := m.BufferPath(md, b.Name)
			buffers[p] = true
			data, err := m.ReadFile(p)
			if err != nil {
				return nil, err
			}
			models[b.Name] = data
		}
		if md.Component == "pipeline" {
			continue
		}
		found, err := convert.Scan(m.Define.Module(md.Component), models, old)
		if err != nil {
			return nil, fmt.Errorf("scan %s: %w", path.Join("variables/data", md.Component, md.Alias), err)
		}
		for _, fd := range found {
			emit(m.BufferPath(md, fd.Model))(fd.Field, fd.Value)
		}
	}
	for _, fi := range m.files {
		p := fi.path
		switch {
		case p == pipelineBuffer || p == pipelinePBPath:
			if err := m.scanPipeline(p, f, emit(p)); err != nil {
				return nil, err
			}
		case buffers[p]:
			// scanned above
		case strings.HasSuffix(p, ".json"):
			if err := m.scanJSONFile(p, f, emit(p)); err != nil {
				return nil, err
			}
		case strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml"):
			if err := m.scanYAMLFile(p, f, emit(p)); err != nil {
				return nil, err
			}
		case strings.HasPrefix(p, "checkpoint/") && strings.HasSuffix(p, ".pb"):
			if err := m.scanCheckpoint(p, old, emit(p)); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

func (m *Model) scanPipeline(p string, f *partyForms, emit func(field, value string)) error {
	data, err := m.ReadFile(p)
	if err != nil {
		return err
	}
	var pl pb.Pipeline
	if err := unmarshalBuffer(data, &pl); err != nil {
		return fmt.Errorf("scan %s: decode as Pipeline: %w", p, err)
	}
	for _, s := range []struct {
		name string
		val  string
	}{{"model_id", pl.ModelId}, {"model_version", pl.ModelVersion}, {"initiator_role", pl.InitiatorRole}} {
		if f.match(s.val) {
			emit(s.name, s.val)
		}
	}
	if pl.InitiatorRole != "" && f.hasID(pl.InitiatorRole, int64(pl.InitiatorPartyId)) {
		emit("initiator_party_id", strconv.Itoa(int(pl.InitiatorPartyId)))
	}
	for _, d := range []struct {
		name string
		val  []byte
	}{{"inference_dsl", pl.InferenceDsl}, {"train_dsl", pl.TrainDsl}, {"train_runtime_conf", pl.TrainRuntimeConf},
		{"roles", pl.Roles}, {"runtime_conf_on_party", pl.RuntimeConfOnParty}, {"parent_info", pl.ParentInfo}} {
		if len(d.val) == 0 {
			continue
		}
		doc, err := parseJSON(d.val)
		if err != nil {
			if f.match(string(d.val)) {
				emit(d.name, string(d.val))
			}
			continue
		}
		if d.name == "roles" {
			// {"guest": [9999], ...}: every key is a role
			for i, k := range doc.keys {
				if f.isRole(k) {
					f.scanIDs(doc.vals[i], k, "roles."+k, emit)
				}
			}
			continue
		}
		f.scanJSON(doc, d.name, emit)
	}
	return nil
}

func (m *Model) scanJSONFile(p string, f *partyForms, emit func(field, value string)) error {
	data, err := m.ReadFile(p)
	if err != nil {
		return err
	}
	doc, err := parseJSON(data)
	if err != nil {
		return fmt.Errorf("scan %s: %w", p, err)
	}
	f.scanJSON(doc, "", emit)
	return nil
}

func (m *Model) scanYAMLFile(p string, f *partyForms, emit func(field, value string)) error {
	data, err := m.ReadFile(p)
	if err != nil {
		return err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("scan %s: %w", p, err)
	}
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, path)
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				walk(c, fmt.Sprintf("%s[%d]", path, i))
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i].Value
				if f.match(k) {
					emit(joinPath(path, k)+"(key)", k)
				}
				walk(n.Content[i+1], joinPath(path, k))
			}
		case yaml.ScalarNode:
			if f.match(n.Value) {
				emit(path, n.Value)
			}
		}
	}
	walk(&doc, "")
	return nil
}

// scanCheckpoint scans a checkpoint buffer
// (checkpoint/<cpn>/<step>#<name>/<Model>.pb) as its component's module.
func (m *Model) scanCheckpoint(p string, old map[string][]int64, emit func(field, value string)) error {
	parts := strings.Split(p, "/")
	if len(parts) < 3 {
		return nil
	}
	data, err := m.ReadFile(p)
	if err != nil {
		return err
	}
	name := strings.TrimSuffix(parts[len(parts)-1], ".pb")
	found, err := convert.Scan(m.Define.Module(parts[1]), map[string][]byte{name: data}, old)
	if err != nil {
		return fmt.Errorf("scan %s: %w", p, err)
	}
	for _, fd := range found {
		emit(fd.Field, fd.Value)
	}
	return nil
}

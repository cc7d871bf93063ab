package fate

import (
	"fmt"
	"slices"

	"github.com/planrun/planrun/fate/convert"
)

// ModelInfo describes a model: its ids, parties, components, and every
// place each party id appears.
type ModelInfo struct {
	Path         string          `json:"path"`
	Role         string          `json:"role,omitempty"` // from the directory or archive name
	PartyID      int64           `json:"party_id,omitempty"`
	ModelID      string          `json:"model_id"`
	ModelVersion string          `json:"model_version"`
	FATEVersion  string          `json:"fate_version"`
	Roles        []RoleParties   `json:"roles"` // train_runtime_conf.role, in its order
	Initiator    *Party          `json:"initiator,omitempty"`
	Components   []ComponentInfo `json:"components"`
	Files        int             `json:"files"`
	Bytes        int64           `json:"bytes"`
	PartyIDs     []PartyIDUse    `json:"party_ids"`
}

// RoleParties is one role and its party ids.
type RoleParties struct {
	Role     string  `json:"role"`
	PartyIDs []int64 `json:"party_ids"`
}

// ComponentInfo is one component of a model.
type ComponentInfo struct {
	Name      string     `json:"name"`
	Module    string     `json:"module"`
	Converter bool       `json:"converter"` // FATE migrates its buffers
	Models    []ModelDef `json:"models"`
}

// PartyIDUse is one place a party id appears.
type PartyIDUse struct {
	Role    string `json:"role"`
	PartyID int64  `json:"party_id"`
	Residue
}

// Inspect reads a model (a directory or a zip) and describes it.
func Inspect(modelPath string) (*ModelInfo, error) {
	m, err := OpenModel(modelPath, ZipLimits{})
	if err != nil {
		return nil, err
	}
	defer m.Close()
	info := &ModelInfo{Path: modelPath, Role: m.Role, PartyID: m.PartyID,
		ModelID: m.Pipeline.ModelId, ModelVersion: m.Pipeline.ModelVersion, FATEVersion: m.Pipeline.FateVersion}
	for _, f := range m.files {
		info.Files++
		info.Bytes += f.size
	}
	trc, err := pipelineDoc(m.Pipeline.TrainRuntimeConf, "train_runtime_conf")
	if err != nil {
		return nil, fmt.Errorf("inspect %s: %w", modelPath, err)
	}
	var probs []string
	add := func(path, msg string) { probs = append(probs, path+": "+msg) }
	roles := decodeRoles(trc.get("role"), "train_runtime_conf.role", add)
	if r := trc.get("role"); r != nil && r.kind == jsonObject {
		for _, k := range r.keys {
			info.Roles = append(info.Roles, RoleParties{Role: k, PartyIDs: roles[k]})
		}
	}
	if ini := trc.get("initiator"); ini != nil && ini.kind == jsonObject {
		p := decodeParty(ini, "train_runtime_conf.initiator", add)
		info.Initiator = &p
	}
	for _, c := range m.Define.Components {
		ci := ComponentInfo{Name: c.Name, Module: c.Module, Converter: convert.HasConverter(c.Module), Models: []ModelDef{}}
		for _, md := range m.Define.Models {
			if md.Component == c.Name {
				ci.Models = append(ci.Models, md)
			}
		}
		info.Components = append(info.Components, ci)
	}
	// Every party id of the model, and of its name.
	type party struct {
		role string
		id   int64
	}
	var parties []party
	for _, rp := range info.Roles {
		for _, id := range rp.PartyIDs {
			parties = append(parties, party{rp.Role, id})
		}
	}
	if m.Role != "" && !slices.Contains(parties, party{m.Role, m.PartyID}) {
		parties = append(parties, party{m.Role, m.PartyID})
	}
	for _, p := range parties {
		found, err := m.Scan(map[string][]int64{p.role: {p.id}})
		if err != nil {
			return nil, fmt.Errorf("inspect %s: %w", modelPath, err)
		}
		for _, r := range found {
			info.PartyIDs = append(info.PartyIDs, PartyIDUse{Role: p.role, PartyID: p.id, Residue: r})
		}
	}
	return info, nil
}

package flowtest

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/planrun/planrun/fate/pb"
)

// importModel is operate_model's import: 1.9+ here (FF@v1.11.2
// apps/model_app.py), 1.5–1.8 in import15.
func (s *Server) importModel(c *call) {
	conf := c.conf()
	if s.requireArgs(c, conf, modelArgs) {
		return
	}
	if s.opts.Generation.pre19() {
		s.import15(c, conf)
		return
	}
	if !c.hasFile {
		errorResponse(c, 400, "`file` is required.")
		return
	}
	force := false
	if v, ok := conf["force_update"]; ok {
		n, err := strconv.Atoi(str(v))
		if err != nil {
			s.uncaught(c, pyErr{"ValueError", fmt.Sprintf("invalid literal for int() with base 10: '%s'", str(v))})
			return
		}
		force = n != 0
	}
	pmid, version := partyModelID(conf), str(conf["model_version"])
	key := pmid + "/" + version
	s.mu.Lock()
	_, exists := s.db[key]
	s.mu.Unlock()
	if exists && !force {
		errorResponse(c, 409, "Model already exists.")
		return
	}
	tmp := filepath.Join(s.TempDir(), s.newJobID())
	if err := os.WriteFile(tmp, c.file, 0o644); err != nil {
		errorResponse(c, 500, "Save file error: "+err.Error())
		return
	}
	// PipelinedModel.unpack_model: the existing directory first, then the
	// hash whenever one was sent (even empty), then the archive unpacked
	// over whatever is there. What fails from here on leaves the
	// directory as it is, but for the party check.
	dir := filepath.Join(s.CacheDir(), pmid, version)
	if !force && dirHasModel(dir) {
		s.uncaught(c, pyErr{"FileExistsError", fmt.Sprintf("Model %s %s local cache already existed.", pmid, version)})
		return
	}
	if h, ok := conf["hash"]; ok {
		sum := sha256.Sum256(c.file)
		if got := hex.EncodeToString(sum[:]); got != str(h) {
			s.uncaught(c, pyErr{"ValueError", fmt.Sprintf("Model archive hash mismatch. path: %s expected: %s actual: %s", tmp, str(h), got)})
			return
		}
	}
	if err := unpack(c.file, dir); err != nil {
		s.uncaught(c, pyErr{"BadZipFile", err.Error()})
		return
	}
	meta, p, perr := readImported(dir)
	if perr != nil {
		s.uncaught(c, *perr)
		return
	}
	role, party := str(conf["role"]), str(conf["party_id"])
	found := false
	for _, id := range trcRoles(p)[role] {
		found = found || id == party
	}
	if !found {
		os.RemoveAll(dir)
		errorResponse(c, 400, fmt.Sprintf(`Party id "%s" is not in role "%s", please check if the party id and role is valid.`, party, role))
		return
	}
	// save_define_meta_from_file_to_db(force_update).
	s.mu.Lock()
	had := s.defineMeta[key]
	s.mu.Unlock()
	if had && !force {
		s.uncaught(c, pyErr{"ValueError", "The define_meta data already exists in database."})
		return
	}
	if perr := meta.check(); perr != nil {
		s.uncaught(c, *perr)
		return
	}
	s.mu.Lock()
	s.defineMeta[key] = true
	s.mu.Unlock()
	if perr := importFixups(p, str(conf["model_id"]), version); perr != nil {
		s.uncaught(c, *perr)
		return
	}
	_ = writePipeline(dir, p, false)
	jobID := s.newJobID()
	row := modelInfo(p)
	row.Role, row.PartyID = role, party
	s.mu.Lock()
	s.db[key] = row
	s.imported++
	s.mu.Unlock()
	s.jsonResult(c, 0, "success", map[string]any{"job_id": jobID, "role": role, "party_id": party,
		"model_id": str(conf["model_id"]), "model_version": version}, "")
}

// dirHasModel is PipelinedComponent.exists(): a directory with something
// in it besides the lock file.
func dirHasModel(dir string) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if e.Name() != ".lock" {
			return true
		}
	}
	return false
}

// defineMetaFile is define/define_meta.yaml as 1.9+'s import reads it.
type defineMetaFile struct {
	ComponentDefine map[string]map[string]any `yaml:"component_define"`
	ModelProto      map[string]map[string]any `yaml:"model_proto"`
	has             map[string]bool
}

// check is save_define_meta_from_file_to_db's reading of the file: every
// component of component_define needs its model_proto entry and its
// module_name.
func (m *defineMetaFile) check() *pyErr {
	if !m.has["component_define"] {
		return &pyErr{"KeyError", "component_define"}
	}
	for _, c := range sortedKeys(m.ComponentDefine) {
		if !m.has["model_proto"] {
			return &pyErr{"KeyError", "model_proto"}
		}
		if _, ok := m.ModelProto[c]; !ok {
			return &pyErr{"KeyError", c}
		}
		if _, ok := m.ComponentDefine[c]["module_name"]; !ok {
			return &pyErr{"KeyError", "module_name"}
		}
	}
	return nil
}

// readImported reads define_meta.yaml (an absent file is {}) and, through
// its model_proto (read_pipeline_model), the pipeline.
func readImported(dir string) (*defineMetaFile, *pb.Pipeline, *pyErr) {
	meta := &defineMetaFile{has: map[string]bool{}}
	b, err := os.ReadFile(filepath.Join(dir, "define", "define_meta.yaml"))
	if err == nil {
		var keys map[string]any
		if err := yaml.Unmarshal(b, &keys); err != nil {
			return nil, nil, &pyErr{"ScannerError", err.Error()}
		}
		for k := range keys {
			meta.has[k] = true
		}
		if err := yaml.Unmarshal(b, meta); err != nil {
			return nil, nil, &pyErr{"AttributeError", err.Error()}
		}
	}
	if !meta.has["model_proto"] {
		return nil, nil, &pyErr{"KeyError", "model_proto"}
	}
	index, _ := meta.ModelProto["pipeline"]["pipeline"].(map[string]any)
	if _, ok := index["Pipeline"]; !ok {
		return nil, nil, &pyErr{"KeyError", "Pipeline"}
	}
	p, err := readPipeline(dir)
	if err != nil {
		return nil, nil, &pyErr{"DecodeError", err.Error()}
	}
	return meta, p, nil
}

// importFixups are 1.9+ import's changes to the pipeline: model_id and
// model_version from the request; above fate_version 1.5.0 the same in
// runtime_conf_on_party.job_parameters, and below 1.9.0 ("fix migrate bug
// between 1.5.x and 1.8.x") also roles and runtime_conf_on_party's role
// and initiator from train_runtime_conf, which itself is not rewritten.
func importFixups(p *pb.Pipeline, modelID, version string) *pyErr {
	p.ModelId, p.ModelVersion = modelID, version
	above150, err := compareVersion(p.FateVersion, "1.5.0")
	if err != nil {
		return &pyErr{"ValueError", err.Error()}
	}
	if above150 != "gt" {
		return nil
	}
	var trc, rcop map[string]any
	if err := unmarshalNumbers(p.TrainRuntimeConf, &trc); err != nil {
		return &pyErr{"JSONDecodeError", err.Error()}
	}
	if err := unmarshalNumbers(p.RuntimeConfOnParty, &rcop); err != nil {
		return &pyErr{"JSONDecodeError", err.Error()}
	}
	jp, ok := rcop["job_parameters"].(map[string]any)
	if !ok {
		return &pyErr{"KeyError", "job_parameters"}
	}
	jp["model_id"], jp["model_version"] = modelID, version
	if below190, _ := compareVersion(p.FateVersion, "1.9.0"); below190 == "lt" {
		for _, k := range []string{"role", "initiator"} {
			if _, ok := trc[k]; !ok {
				return &pyErr{"KeyError", k}
			}
		}
		p.Roles, _ = json.Marshal(trc["role"])
		rcop["role"], rcop["initiator"] = trc["role"], trc["initiator"]
	}
	p.RuntimeConfOnParty, _ = json.Marshal(rcop)
	return nil
}

// modelInfo is gather_model_info_data's view of the pipeline: roles and
// initiator from its fields, or from train_runtime_conf below 1.5.1.
func modelInfo(p *pb.Pipeline) *dbRow {
	row := &dbRow{ModelID: p.ModelId, ModelVersion: p.ModelVersion, InitRole: p.InitiatorRole,
		InitParty: strconv.FormatInt(int64(p.InitiatorPartyId), 10)}
	_ = json.Unmarshal(p.Roles, &row.Roles)
	if v, err := compareVersion(p.FateVersion, "1.5.1"); err != nil || v == "lt" {
		var trc struct {
			Initiator struct {
				Role    string      `json:"role"`
				PartyID json.Number `json:"party_id"`
			} `json:"initiator"`
			Role map[string][]int64 `json:"role"`
		}
		_ = json.Unmarshal(p.TrainRuntimeConf, &trc)
		row.InitRole, row.InitParty, row.Roles = trc.Initiator.Role, trc.Initiator.PartyID.String(), trc.Role
	}
	return row
}

// unpackModel unpacks the uploaded archive into dir and reads its
// pipeline; on failure dir is removed, the answer (retcode 100) sent and
// ok is false.
func (s *Server) unpackModel(c *call, dir string) (p *pb.Pipeline, ok bool) {
	err := unpack(c.file, dir)
	if err == nil {
		p, err = readPipeline(dir)
	}
	if err != nil {
		os.RemoveAll(dir)
		s.jsonResult(c, 100, err.Error(), nil, "")
		return nil, false
	}
	return p, true
}

// import15 is 1.5–1.8's import: the upload keeps its file name, the
// format comes from its extension, any role may hold the party id.
func (s *Server) import15(c *call, conf map[string]any) {
	if !c.hasFile {
		s.jsonResult(c, 100, "'NoneType' object has no attribute 'filename'", nil, "")
		return
	}
	name := filepath.Base(c.fileName)
	tmp := filepath.Join(s.TempDir(), name)
	if err := os.WriteFile(tmp, c.file, 0o644); err != nil {
		s.jsonResult(c, 100, err.Error(), nil, "")
		return
	}
	if !strings.HasSuffix(name, ".zip") {
		s.jsonResult(c, 100, fmt.Sprintf("Unknown archive format '%s'", tmp), nil, "")
		return
	}
	if b, err := os.ReadFile(tmp + ".sha1"); err == nil {
		sum := sha1.Sum(c.file)
		if want, got := strings.TrimSpace(string(b)), hex.EncodeToString(sum[:]); want != got {
			s.jsonResult(c, 100, fmt.Sprintf("Hash not match. path: %s expected: %s actual: %s", tmp, want, got), nil, "")
			return
		}
	}
	pmid, version := partyModelID(conf), str(conf["model_version"])
	dir := filepath.Join(s.CacheDir(), pmid, version)
	if _, err := os.Stat(dir); err == nil {
		s.jsonResult(c, 100, fmt.Sprintf("Model %s %s local cache already existed", pmid, version), nil, "")
		return
	}
	p, ok := s.unpackModel(c, dir)
	if !ok {
		return
	}
	party := str(conf["party_id"])
	found := false
	for _, ids := range trcRoles(p) {
		for _, id := range ids {
			found = found || id == party
		}
	}
	if !found {
		os.RemoveAll(dir)
		s.jsonResult(c, 100, "party id {} is not in model roles, please check if the party id is valid.", nil, "")
		return
	}
	s.mu.Lock()
	s.db[pmid+"/"+version] = &dbRow{Role: str(conf["role"]), PartyID: party, ModelID: str(conf["model_id"]), ModelVersion: version}
	s.imported++
	s.mu.Unlock()
	s.jsonResult(c, 0, "success", nil, "")
}

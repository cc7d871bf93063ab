package flowtest

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/planrun/planrun/fate"
	"github.com/planrun/planrun/fate/pb"
)

var modelArgs = []string{"model_id", "model_version", "role", "party_id"}

func str(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	}
	return fmt.Sprint(v)
}

// partyModelID is gen_party_model_id with the request's (string) party id.
func partyModelID(conf map[string]any) string {
	return str(conf["role"]) + "#" + str(conf["party_id"]) + "#" + str(conf["model_id"])
}

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
			s.jsonResult(c, 100, fmt.Sprintf("ValueError(\"invalid literal for int() with base 10: '%s'\")", str(v)), nil, "")
			return
		}
		force = n != 0
	}
	pmid, version := partyModelID(conf), str(conf["model_version"])
	s.mu.Lock()
	_, exists := s.db[pmid+"/"+version]
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
	if h := str(conf["hash"]); h != "" {
		sum := sha256.Sum256(c.file)
		if got := hex.EncodeToString(sum[:]); got != h {
			s.jsonResult(c, 100, fmt.Sprintf("ValueError('Model archive hash mismatch. path: %s expected: %s actual: %s')", tmp, h, got), nil, "")
			return
		}
	}
	dir := filepath.Join(s.CacheDir(), pmid, version)
	if _, err := os.Stat(dir); err == nil {
		if !force {
			s.jsonResult(c, 100, fmt.Sprintf("FileExistsError('Model %s %s local cache already existed.')", pmid, version), nil, "")
			return
		}
		os.RemoveAll(dir)
	}
	p, ok := s.unpackModel(c, dir)
	if !ok {
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
	p.ModelId, p.ModelVersion = str(conf["model_id"]), version
	_ = writePipeline(dir, p, false)
	var trc struct {
		Initiator struct {
			Role    string      `json:"role"`
			PartyID json.Number `json:"party_id"`
		} `json:"initiator"`
		Role map[string][]int64 `json:"role"`
	}
	_ = json.Unmarshal(p.TrainRuntimeConf, &trc)
	jobID := s.newJobID()
	s.mu.Lock()
	s.db[pmid+"/"+version] = &dbRow{Role: role, PartyID: party, ModelID: str(conf["model_id"]), ModelVersion: version,
		InitRole: trc.Initiator.Role, InitParty: trc.Initiator.PartyID.String(), Roles: trc.Role}
	s.imported++
	s.mu.Unlock()
	s.jsonResult(c, 0, "success", map[string]any{"job_id": jobID, "role": role, "party_id": party,
		"model_id": str(conf["model_id"]), "model_version": version}, "")
}

// import15 is 1.5–1.8's import: the upload keeps its file name, the
// format comes from its extension, any role may hold the party id.
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

func (s *Server) export(c *call) {
	conf := c.conf()
	if s.requireArgs(c, conf, modelArgs) {
		return
	}
	pmid, version := partyModelID(conf), str(conf["model_version"])
	dir := filepath.Join(s.CacheDir(), pmid, version)
	if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(pipelinePath))); err != nil {
		if s.opts.Generation.pre19() {
			errorResponse(c, 210, fmt.Sprintf("Model %s %s is not exist.", pmid, version))
		} else {
			errorResponse(c, 404, fmt.Sprintf("Model %s %s does not exist.", pmid, version))
		}
		return
	}
	zipPath := filepath.Join(s.TempDir(), pmid+"_"+version+".zip")
	if _, err := packDir(dir, zipPath); err != nil {
		s.jsonResult(c, 100, err.Error(), nil, "")
		return
	}
	c.w.Header().Set("Content-Type", "application/zip")
	c.w.Header().Set("Content-Disposition", "attachment; filename="+filepath.Base(zipPath))
	http.ServeFile(c.w, c.r, zipPath)
}

func (s *Server) packaging(c *call) {
	conf := c.conf()
	if s.requireArgs(c, conf, []string{"party_model_id", "model_version"}) {
		return
	}
	pmid, version := str(conf["party_model_id"]), str(conf["model_version"])
	dir := filepath.Join(s.CacheDir(), pmid, version)
	if _, err := os.Stat(dir); err != nil {
		// FF@v1.11.2 apps/model_app.py packaging_model.
		errorResponse(c, 404, "Model not found.")
		return
	}
	zipPath := filepath.Join(s.TempDir(), pmid+"_"+version+".zip")
	sum, err := packDir(dir, zipPath)
	if err != nil {
		s.jsonResult(c, 100, err.Error(), nil, "")
		return
	}
	s.jsonResult(c, 0, "success", map[string]any{"party_model_id": pmid, "model_version": version,
		"path": zipPath, "hash": sum}, "")
}

func (s *Server) deploy(c *call) {
	conf := c.conf()
	if s.requireArgs(c, conf, []string{"model_id", "model_version"}) {
		return
	}
	modelID, version := str(conf["model_id"]), str(conf["model_version"])
	s.mu.Lock()
	var rows []*dbRow
	for _, r := range s.db {
		if r.ModelID == modelID && r.ModelVersion == version {
			rows = append(rows, r)
		}
	}
	s.mu.Unlock()
	if len(rows) == 0 {
		errorResponse(c, 404, fmt.Sprintf("Deploy model failed. Model %s %s not found.", modelID, version))
		return
	}
	var init *dbRow
	for _, r := range rows {
		if r.Role == r.InitRole && r.PartyID == r.InitParty {
			init = r
		}
	}
	if init == nil {
		errorResponse(c, 404, "Deploy model failed. Cannot found model of initiator role or the fate version of model is older than 1.5.0")
		return
	}
	child := s.newJobID()
	data := map[string]any{"model_id": modelID, "model_version": child}
	detail := map[string]any{}
	status, msg := 0, "success"
	for role, ids := range init.Roles {
		codes, det := map[string]any{}, map[string]any{}
		for _, id := range ids {
			k := strconv.FormatInt(id, 10)
			pmid := fate.PartyModelID(role, id, modelID)
			if _, err := os.Stat(filepath.Join(s.CacheDir(), pmid, version)); err != nil {
				codes[k] = 100
				det[k] = map[string]any{"retcode": 100, "retmsg": fmt.Sprintf("Model %s %s does not exist.", pmid, version)}
				status, msg = 101, "failed"
				continue
			}
			codes[k] = 0
			det[k] = map[string]any{"retcode": 0, "retmsg": "deploy model of role " + role + " " + k + " success"}
		}
		data[role], detail[role] = codes, det
	}
	data["detail"] = detail
	s.jsonResult(c, status, msg, data, "")
}

// writeSHA1 writes 1.5.2–1.8's <zip>.sha1 sidecar.
func writeSHA1(zipPath string) {
	b, err := os.ReadFile(zipPath)
	if err != nil {
		return
	}
	sum := sha1.Sum(b)
	_ = os.WriteFile(zipPath+".sha1", []byte(hex.EncodeToString(sum[:])), 0o644)
}

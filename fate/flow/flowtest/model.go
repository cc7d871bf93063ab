package flowtest

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"

	"github.com/planrun/planrun/fate"
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

package flowtest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/planrun/planrun/fate"
)

var migrateRequired = []string{"migrate_initiator", "role", "migrate_role", "model_id",
	"model_version", "execute_party", "job_parameters"}

const (
	msgStructure = "The structure of roles data of local configuration is different from " +
		"model runtime configuration's. Migration aborting."
	msgNoNeed = "The config of previous roles is the same with that of migrate roles. " +
		"There is no need to migrate model. Migration process aborting."
)

func (s *Server) newJobID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.jobSeq++
	return time.Now().UTC().Format("20060102150405") + fmt.Sprintf("%06d%d", time.Now().Nanosecond()/1000, s.jobSeq%10)
}

// missing lists the required keys absent from conf, in FATE's order.
func missing(conf map[string]any, keys []string) []string {
	var out []string
	for _, k := range keys {
		if _, ok := conf[k]; !ok {
			out = append(out, k)
		}
	}
	return out
}

// requireArgs answers FATE's message for missing arguments and reports
// whether it did: 1.7+ validate_request (101), 1.5/1.6 check_config (100).
func (s *Server) requireArgs(c *call, conf map[string]any, keys []string) bool {
	miss := missing(conf, keys)
	if len(miss) == 0 {
		return false
	}
	if s.opts.Generation == Gen15 {
		s.jsonResult(c, 100, "required parameters are missing: "+strings.Join(miss, ",")+";", nil, "")
	} else {
		s.jsonResult(c, 101, "required argument are missing: "+strings.Join(miss, ",")+"; ", nil, "")
	}
	return true
}

// pyKey renders a JSON id as Python's str() of it (dict keys in answers).
func pyKey(v any) string {
	switch x := v.(type) {
	case json.Number:
		return x.String()
	case string:
		return x
	}
	return fmt.Sprint(v)
}

// typedKey keeps Python's int/str distinction: 9999 and "9999" differ.
func typedKey(v any) string {
	if _, ok := v.(string); ok {
		return "s:" + v.(string)
	}
	return "n:" + pyKey(v)
}

func rolesOf(v any) (map[string][]any, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, false
	}
	out := map[string][]any{}
	for k, x := range m {
		l, ok := x.([]any)
		if !ok {
			return nil, false
		}
		out[k] = l
	}
	return out, true
}

// compareRoles is FATE's compare_roles: an error for a structure mismatch,
// true when every id set is equal (nothing to migrate).
func compareRoles(migrate, old any) (bool, error) {
	mr, ok1 := rolesOf(migrate)
	or, ok2 := rolesOf(old)
	if !ok1 || !ok2 || len(mr) != len(or) {
		return false, fmt.Errorf("%s", msgStructure)
	}
	same := true
	for k, l := range mr {
		ol, ok := or[k]
		if !ok || len(ol) != len(l) {
			return false, fmt.Errorf("%s", msgStructure)
		}
		a, b := map[string]bool{}, map[string]bool{}
		for _, x := range l {
			a[typedKey(x)] = true
		}
		for _, x := range ol {
			b[typedKey(x)] = true
		}
		if len(a) != len(b) {
			same = false
			continue
		}
		for x := range a {
			if !b[x] {
				same = false
			}
		}
	}
	return same, nil
}

func (s *Server) migrate(c *call) {
	conf := c.conf()
	// 1.5/1.6 read migrate_initiator before checking the arguments; 1.7+
	// check them first (validate_request).
	if s.opts.Generation == Gen15 {
		if _, ok := conf["migrate_initiator"]; !ok {
			s.jsonResult(c, 100, "'migrate_initiator'", nil, "")
			return
		}
	}
	if s.requireArgs(c, conf, migrateRequired) {
		return
	}
	jobID := s.newJobID()
	if v, _ := conf["unify_model_version"].(string); v == "" {
		conf["unify_model_version"] = jobID
	}
	same, err := compareRoles(conf["migrate_role"], conf["role"])
	if err != nil {
		s.jsonResult(c, 100, err.Error(), nil, "")
		return
	}
	if same {
		s.jsonResult(c, 100, msgNoNeed, nil, "")
		return
	}
	mr, _ := rolesOf(conf["migrate_role"])
	or, _ := rolesOf(conf["role"])
	res := map[string]map[string]map[string]any{}
	for role, ids := range mr {
		for i, id := range ids {
			if res[role] == nil {
				res[role] = map[string]map[string]any{}
			}
			res[role][typedKey(or[role][i])] = map[string]any{"role": role, "party_id": or[role][i], "migrate_party_id": id}
		}
	}
	exec, ok := rolesOf(conf["execute_party"])
	if !ok {
		s.jsonResult(c, 100, "'execute_party' is not a role map", nil, jobID)
		return
	}
	jp, _ := conf["job_parameters"].(map[string]any)
	_, hasMode := jp["federated_mode"]
	status, statusMsg := 0, "success"
	data := map[string]any{}
	detail := map[string]any{}
	roles := make([]string, 0, len(exec))
	for r := range exec {
		roles = append(roles, r)
	}
	sort.Strings(roles)
	for _, role := range roles {
		codes := map[string]any{}
		details := map[string]any{}
		data[role], detail[role] = codes, details
		for _, id := range exec[role] {
			key := pyKey(id)
			s.mu.Lock()
			raise := s.raises[role+":"+key]
			s.mu.Unlock()
			if !hasMode || raise {
				status, statusMsg = 101, "failed"
				codes[key] = 100
				continue
			}
			var local map[string]any
			if m := res[role]; m != nil {
				local = m[typedKey(id)]
			}
			code, msg, _ := s.migrateDo(conf, local)
			codes[key] = code
			details[key] = map[string]any{"retcode": code, "retmsg": msg}
		}
	}
	data["detail"] = detail
	s.jsonResult(c, status, statusMsg, data, jobID)
}

func (s *Server) migrateDoHTTP(c *call) {
	conf := c.conf()
	local, _ := conf["local"].(map[string]any)
	code, msg, data := s.migrateDo(conf, local)
	var d any
	if data != nil {
		d = data
	}
	s.jsonResult(c, code, msg, d, "")
}

func int64Of(v any) (int64, error) {
	switch x := v.(type) {
	case json.Number:
		return strconv.ParseInt(x.String(), 10, 64)
	case float64:
		return int64(x), nil
	}
	return 0, fmt.Errorf("party id must be an integer, got %v", v)
}

func int64Roles(v any) (map[string][]int64, error) {
	m, ok := rolesOf(v)
	if !ok {
		return nil, fmt.Errorf("%s", msgStructure)
	}
	out := map[string][]int64{}
	for r, ids := range m {
		for _, id := range ids {
			n, err := int64Of(id)
			if err != nil {
				return nil, err
			}
			out[r] = append(out[r], n)
		}
	}
	return out, nil
}

// migrateDo is /migrate/do for one party: copy, rewrite the pipeline, zip.
func (s *Server) migrateDo(conf map[string]any, local map[string]any) (int, string, map[string]any) {
	if local == nil {
		return 100, "'NoneType' object is not subscriptable", nil
	}
	role, _ := local["role"].(string)
	key := role + ":" + pyKey(local["party_id"])
	s.mu.Lock()
	failMsg := s.failures[key]
	s.mu.Unlock()
	if failMsg != "" {
		return 100, failMsg, nil
	}
	oldID, err1 := int64Of(local["party_id"])
	newID, err2 := int64Of(local["migrate_party_id"])
	newRoles, err3 := int64Roles(conf["migrate_role"])
	for _, err := range []error{err1, err2, err3} {
		if err != nil {
			return 100, err.Error(), nil
		}
	}
	modelID, _ := conf["model_id"].(string)
	version, _ := conf["model_version"].(string)
	unify, _ := conf["unify_model_version"].(string)
	src := filepath.Join(s.CacheDir(), fate.PartyModelID(role, oldID, modelID), version)
	if _, err := os.Stat(src); err != nil {
		return 100, fmt.Sprintf("Can not found %s %s model local cache", modelID, version), nil
	}
	newModelID := fate.GenModelID(newRoles)
	newPmid := fate.PartyModelID(role, newID, newModelID)
	s.mu.Lock()
	for k, row := range s.db {
		if s.opts.Generation.pre19() && row.ModelVersion == unify ||
			s.opts.Generation == Gen19 && k == newPmid+"/"+unify {
			s.mu.Unlock()
			return 100, fmt.Sprintf("Unify model version %s has been occupied in database. "+
				"Please choose another unify model version and try again.", unify), nil
		}
	}
	s.mu.Unlock()
	dst := filepath.Join(s.CacheDir(), newPmid, unify)
	s.mu.Lock()
	_, registered := s.db[fate.PartyModelID(role, oldID, modelID)+"/"+version]
	s.mu.Unlock()
	if s.opts.Generation == Gen19 && !registered {
		// 1.9+ takes the components from its database: a model that was
		// only copied into model_local_cache migrates with the pipeline alone.
		if err := copyPipelineOnly(src, dst); err != nil {
			return 100, err.Error(), nil
		}
	} else if err := copyDir(src, dst); err != nil {
		return 100, err.Error(), nil
	}
	p, err := readPipeline(dst)
	if err != nil {
		return 100, err.Error(), nil
	}
	if err := s.opts.Generation.migratePipeline(p, conf, newModelID, unify); err != nil {
		return 100, err.Error(), nil
	}
	if err := writePipeline(dst, p, s.opts.Generation.pre19()); err != nil {
		return 100, err.Error(), nil
	}
	zipPath := filepath.Join(s.TempDir(), newPmid+"_"+unify+".zip")
	if s.opts.Generation == Gen19 {
		imp, _ := json.Marshal(map[string]any{"role": role, "party_id": newID, "model_id": newModelID,
			"model_version": unify, "file": zipPath, "force_update": false})
		_ = os.WriteFile(filepath.Join(dst, "import_model.json"), imp, 0o644)
	}
	_, err = packDir(dst, zipPath)
	if err != nil {
		return 100, err.Error(), nil
	}
	if s.opts.Generation.pre19() {
		writeSHA1(zipPath)
		_ = os.RemoveAll(filepath.Join(s.CacheDir(), newPmid))
	} else {
		s.mu.Lock()
		s.db[newPmid+"/"+unify] = &dbRow{Role: role, PartyID: strconv.FormatInt(newID, 10), ModelID: newModelID,
			ModelVersion: unify, InitRole: p.InitiatorRole, InitParty: strconv.FormatInt(int64(p.InitiatorPartyId), 10), Roles: newRoles}
		s.mu.Unlock()
	}
	// The id in the message is the plain model id: 1.9+ prints
	// migrate_model._model_id, 1.5–1.8 the job parameters' model_id. Only
	// data (which /migrate drops) carries the party model id.
	msg := fmt.Sprintf("Migrating model successfully. The configuration of model has been modified automatically. "+
		"New model id is: %s, model version is: %s. Model files can be found at '%s'.", newModelID, unify, zipPath)
	return 0, msg, map[string]any{"model_id": newPmid, "model_version": unify, "path": zipPath}
}

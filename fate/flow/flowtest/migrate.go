package flowtest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
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

// rolesOf reads a role map whose every value is a list.
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

// strSet is set(str(item) for item in v).
func strSet(v any) (map[string]bool, error) {
	items, err := pyIter(v)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, x := range items {
		out[pyObjStr(x)] = true
	}
	return out, nil
}

// compareRoles is FATE's compare_roles(migrate_role, role): the same role
// names, and for each a list (on the migrate side) as long as the old
// one, or the structure message; true when every role's ids are the same
// once written with str() (9999 and "9999" are the same id there).
// Python's own errors on the way (a role map that is not a dict, len()
// or iteration of an id list that is neither) come out as they are.
func compareRoles(migrate, old any) (bool, error) {
	mr, ok := migrate.(map[string]any)
	if !ok {
		return false, pyErr{"AttributeError", fmt.Sprintf("'%s' object has no attribute 'keys'", pyType(migrate))}
	}
	or, ok := old.(map[string]any)
	if !ok {
		return false, pyErr{"AttributeError", fmt.Sprintf("'%s' object has no attribute 'keys'", pyType(old))}
	}
	if len(mr) != len(or) {
		return false, fmt.Errorf("%s", msgStructure)
	}
	for k := range mr {
		if _, ok := or[k]; !ok {
			return false, fmt.Errorf("%s", msgStructure)
		}
	}
	format, equal := true, true
	for _, k := range sortedKeys(mr) {
		if format {
			a, err := pyLen(mr[k])
			if err != nil {
				return false, err
			}
			b, err := pyLen(or[k])
			if err != nil {
				return false, err
			}
			_, isList := mr[k].([]any)
			format = a == b && isList
		}
		a, err := strSet(mr[k])
		if err != nil {
			return false, err
		}
		b, err := strSet(or[k])
		if err != nil {
			return false, err
		}
		equal = equal && len(a) == len(b)
		for x := range a {
			equal = equal && b[x]
		}
	}
	if !format {
		return false, fmt.Errorf("%s", msgStructure)
	}
	return equal, nil
}

// uncaught answers an exception that escapes a FATE Flow handler: retcode
// 100 with str(e) before 1.9 (errorhandler(500)) and repr(e) from 1.9
// (errorhandler(Exception)), no data.
func (s *Server) uncaught(c *call, e pyErr) {
	msg := e.str()
	if s.opts.Generation == Gen19 {
		msg = e.repr()
	}
	s.jsonResult(c, 100, msg, nil, "")
}

// subscript is v[key] for a str key, as the handler reads
// migrate_initiator.
func subscript(v any, key string) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		e, ok := x[key]
		if !ok {
			return nil, pyErr{"KeyError", key}
		}
		return e, nil
	case []any:
		return nil, pyErr{"TypeError", "list indices must be integers or slices, not str"}
	case string:
		return nil, pyErr{"TypeError", "string indices must be integers"}
	}
	return nil, pyErr{"TypeError", fmt.Sprintf("'%s' object is not subscriptable", pyType(v))}
}

// migrate is /v1/model/migrate (apps/model_app.py migrate_model_process).
func (s *Server) migrate(c *call) {
	conf := c.conf()
	// 1.5/1.6 read migrate_initiator before checking the arguments; 1.7+
	// check them first (validate_request).
	if s.opts.Generation == Gen15 {
		if _, ok := conf["migrate_initiator"]; !ok {
			s.uncaught(c, pyErr{"KeyError", "migrate_initiator"})
			return
		}
	}
	if s.requireArgs(c, conf, migrateRequired) {
		return
	}
	for _, k := range []string{"party_id", "role"} {
		if _, err := subscript(conf["migrate_initiator"], k); err != nil {
			s.uncaught(c, err.(pyErr))
			return
		}
	}
	jobID := s.newJobID()
	if !truthy(conf["unify_model_version"]) {
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
	res, perr := partyMap(conf)
	if perr == nil {
		perr = s.dispatch(c, conf, res, jobID)
	}
	if perr != nil {
		s.uncaught(c, *perr)
	}
}

// partyMap is the handler's res_dict: role → old id (as a dict key) →
// the local block sent to that party, pairing role and migrate_role by
// position.
func partyMap(conf map[string]any) (map[string]map[string]map[string]any, *pyErr) {
	mr := conf["migrate_role"].(map[string]any)
	or := conf["role"].(map[string]any)
	res := map[string]map[string]map[string]any{}
	for _, role := range sortedKeys(mr) {
		// compare_roles checked both are lists of one length.
		news, olds := mr[role].([]any), or[role].([]any)
		for i, id := range news {
			k, err := pyHashKey(olds[i])
			if err != nil {
				e := err.(pyErr)
				return nil, &e
			}
			if res[role] == nil {
				res[role] = map[string]map[string]any{}
			}
			res[role][k] = map[string]any{"role": role, "party_id": olds[i], "migrate_party_id": id}
		}
	}
	return res, nil
}

// dispatch sends /migrate/do to every executing party and answers with
// their codes and details; a Python error outside the per-party try is
// returned instead.
func (s *Server) dispatch(c *call, conf map[string]any, res map[string]map[string]map[string]any, jobID string) *pyErr {
	exec, ok := conf["execute_party"].(map[string]any)
	if !ok {
		return &pyErr{"AttributeError", fmt.Sprintf("'%s' object has no attribute 'items'", pyType(conf["execute_party"]))}
	}
	jp, _ := conf["job_parameters"].(map[string]any)
	_, hasMode := jp["federated_mode"]
	status, statusMsg := 0, "success"
	data := map[string]any{}
	detail := map[string]any{}
	data["detail"] = detail
	for _, role := range sortedKeys(exec) {
		codes := map[string]any{}
		details := map[string]any{}
		data[role], detail[role] = codes, details
		ids, err := pyIter(exec[role])
		if err != nil {
			e := err.(pyErr)
			return &e
		}
		for _, id := range ids {
			if res[role] == nil {
				// res_dict.get(role) is None.
				return &pyErr{"AttributeError", "'NoneType' object has no attribute 'get'"}
			}
			k, err := pyHashKey(id)
			if err != nil {
				e := err.(pyErr)
				return &e
			}
			key := pyJSONKey(id)
			s.mu.Lock()
			raise := s.raises[role+":"+key]
			s.mu.Unlock()
			if !hasMode || raise {
				status, statusMsg = 101, "failed"
				codes[key] = 100
				continue
			}
			// request_config["local"] = res_dict.get(role).get(party_id):
			// None for an id that is not in role.
			var local any
			if l, ok := res[role][k]; ok {
				local = l
			}
			conf["local"] = local
			code, msg, _ := s.migrateDo(conf)
			codes[key] = code
			details[key] = map[string]any{"retcode": code, "retmsg": msg}
		}
	}
	s.jsonResult(c, status, statusMsg, data, jobID)
	return nil
}

func (s *Server) migrateDoHTTP(c *call) {
	conf := c.conf()
	code, msg, data := s.migrateDo(conf)
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

// readArgs reads what migration() reads before its try (1.9+), in its
// order: model_id, model_version, local's role, party_id and
// migrate_party_id, migrate_role, unify_model_version. Before 1.9 the
// same reads are inside the try.
func readArgs(conf map[string]any) (map[string]any, *pyErr) {
	get := func(v any, k string) *pyErr {
		if _, err := subscript(v, k); err != nil {
			e := err.(pyErr)
			return &e
		}
		return nil
	}
	for _, k := range []string{"model_id", "model_version", "local"} {
		if e := get(conf, k); e != nil {
			return nil, e
		}
	}
	for _, k := range []string{"role", "party_id", "migrate_party_id"} {
		if e := get(conf["local"], k); e != nil {
			return nil, e
		}
	}
	for _, k := range []string{"migrate_role", "unify_model_version"} {
		if e := get(conf, k); e != nil {
			return nil, e
		}
	}
	return conf["local"].(map[string]any), nil
}

// migrateDo is /migrate/do for one party (conf["local"] names it): copy,
// rewrite the pipeline, zip. A failure is retcode 100 with str(e) and
// data {} (migration() returns {} for data); a read that fails before
// 1.9+'s try has no data and repr(e).
func (s *Server) migrateDo(conf map[string]any) (int, string, map[string]any) {
	local, perr := readArgs(conf)
	if perr != nil {
		if s.opts.Generation == Gen19 {
			return 100, perr.repr(), nil
		}
		return 100, perr.str(), map[string]any{}
	}
	role, _ := local["role"].(string)
	key := role + ":" + pyJSONKey(local["party_id"])
	s.mu.Lock()
	failMsg := s.failures[key]
	s.mu.Unlock()
	if failMsg != "" {
		return 100, failMsg, map[string]any{}
	}
	oldID, err1 := int64Of(local["party_id"])
	newID, err2 := int64Of(local["migrate_party_id"])
	newRoles, err3 := int64Roles(conf["migrate_role"])
	for _, err := range []error{err1, err2, err3} {
		if err != nil {
			return 100, err.Error(), map[string]any{}
		}
	}
	modelID, _ := conf["model_id"].(string)
	version, _ := conf["model_version"].(string)
	unify, _ := conf["unify_model_version"].(string)
	src := filepath.Join(s.CacheDir(), fate.PartyModelID(role, oldID, modelID), version)
	if _, err := os.Stat(src); err != nil {
		// 1.9+ raise FileNotFoundError(f"... local cache."), 1.5–1.8
		// Exception("... local cache").
		msg := fmt.Sprintf("Can not found %s %s model local cache", modelID, version)
		if s.opts.Generation == Gen19 {
			msg += "."
		}
		return 100, msg, map[string]any{}
	}
	newModelID := fate.GenModelID(newRoles)
	newPmid := fate.PartyModelID(role, newID, newModelID)
	s.mu.Lock()
	for k, row := range s.db {
		if s.opts.Generation.pre19() && row.ModelVersion == unify ||
			s.opts.Generation == Gen19 && k == newPmid+"/"+unify {
			s.mu.Unlock()
			return 100, fmt.Sprintf("Unify model version %s has been occupied in database. "+
				"Please choose another unify model version and try again.", unify), map[string]any{}
		}
	}
	s.mu.Unlock()
	dst := filepath.Join(s.CacheDir(), newPmid, unify)
	s.mu.Lock()
	registered := s.defineMeta[fate.PartyModelID(role, oldID, modelID)+"/"+version]
	s.mu.Unlock()
	if s.opts.Generation == Gen19 && !registered {
		// 1.9+ takes the components from its database: a model that was
		// only copied into model_local_cache migrates with the pipeline alone.
		if err := copyPipelineOnly(src, dst); err != nil {
			return 100, err.Error(), map[string]any{}
		}
	} else if err := copyDir(src, dst); err != nil {
		return 100, err.Error(), map[string]any{}
	}
	p, err := readPipeline(dst)
	if err != nil {
		return 100, err.Error(), map[string]any{}
	}
	if err := s.opts.Generation.migratePipeline(p, conf, newModelID, unify); err != nil {
		return 100, err.Error(), map[string]any{}
	}
	if err := writePipeline(dst, p, s.opts.Generation.pre19()); err != nil {
		return 100, err.Error(), map[string]any{}
	}
	zipPath := filepath.Join(s.TempDir(), newPmid+"_"+unify+".zip")
	if s.opts.Generation == Gen19 {
		imp, _ := json.Marshal(map[string]any{"role": role, "party_id": newID, "model_id": newModelID,
			"model_version": unify, "file": zipPath, "force_update": false})
		_ = os.WriteFile(filepath.Join(dst, "import_model.json"), imp, 0o644)
	}
	_, err = packDir(dst, zipPath)
	if err != nil {
		return 100, err.Error(), map[string]any{}
	}
	if s.opts.Generation.pre19() {
		writeSHA1(zipPath)
		_ = os.RemoveAll(filepath.Join(s.CacheDir(), newPmid))
	} else {
		s.mu.Lock()
		s.defineMeta[newPmid+"/"+unify] = true
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

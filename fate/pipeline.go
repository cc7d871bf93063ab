package fate

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/planrun/planrun/fate/pb"
)

// compareVersion is FATE's fate_flow compare_version(version, target):
// "gt", "eq" or "lt". Like FATE it compares the major numbers only for
// "at least", then minor and patch; a part that is not a number is an error.
func compareVersion(version, target string) (string, error) {
	v, err := versionParts(version)
	if err != nil {
		return "", err
	}
	t, _ := versionParts(target)
	if v[0] < t[0] {
		return "lt", nil
	}
	switch {
	case v[1] > t[1]:
		return "gt", nil
	case v[1] < t[1]:
		return "lt", nil
	case v[2] > t[2]:
		return "gt", nil
	case v[2] == t[2]:
		return "eq", nil
	}
	return "lt", nil
}

func versionParts(s string) ([3]int, error) {
	var out [3]int
	parts := strings.Split(s, ".")
	if len(parts) < 3 {
		return out, fmt.Errorf("fate_version %q: want MAJOR.MINOR.PATCH", s)
	}
	for i := range out {
		n, err := strconv.Atoi(parts[i])
		if err != nil {
			return out, fmt.Errorf("fate_version %q: %q is not a number", s, parts[i])
		}
		out[i] = n
	}
	return out, nil
}

// pipelineDoc parses one of the pipeline's JSON fields; an empty field
// is an empty object.
func pipelineDoc(data []byte, field string) (*jsonValue, error) {
	if len(data) == 0 {
		return jsonObj(), nil
	}
	v, err := parseJSON(data)
	if err != nil {
		return nil, fmt.Errorf("pipeline %s: %w", field, err)
	}
	if v.kind != jsonObject {
		return nil, fmt.Errorf("pipeline %s: want an object, got %s", field, v.describe())
	}
	return v, nil
}

// objectAt returns the object under key, adding an empty one if missing.
func objectAt(v *jsonValue, key, path string) (*jsonValue, error) {
	x := v.get(key)
	if x == nil {
		x = jsonObj()
		v.set(key, x)
	}
	if x.kind != jsonObject {
		return nil, fmt.Errorf("%s.%s: want an object, got %s", path, key, x.describe())
	}
	return x, nil
}

// setModelIDVersion is FATE's JobRuntimeConfigAdapter(conf)
// .update_model_id_version: job_parameters and job_parameters.common are
// added when missing; the ids go to common when dsl_version is 2, else to
// job_parameters itself.
func setModelIDVersion(conf *jsonValue, modelID, version, path string) error {
	jp, err := objectAt(conf, "job_parameters", path)
	if err != nil {
		return err
	}
	common, err := objectAt(jp, "common", path+".job_parameters")
	if err != nil {
		return err
	}
	target := jp
	if dslVersion(conf) == 2 {
		target = common
	}
	target.set("model_id", jsonStr(modelID))
	target.set("model_version", jsonStr(version))
	return nil
}

func dslVersion(conf *jsonValue) int64 {
	v := conf.get("dsl_version")
	if v == nil {
		return 1
	}
	if n, ok := v.asInt(); ok {
		return n
	}
	if v.kind == jsonString {
		if n, err := strconv.ParseInt(strings.TrimSpace(v.text), 10, 64); err == nil {
			return n
		}
	}
	return 1
}

// migratePipeline rewrites the pipeline as FATE 1.9+'s migration does:
// model_id, model_version, roles, train_runtime_conf (role, initiator and
// the model id and version in job_parameters), and for fate_version above
// 1.5.0 initiator_role, initiator_party_id and runtime_conf_on_party.
// With all (planrun's own migration, not --compat fate) those three are
// rewritten whenever the pipeline has them, whatever its fate_version
// says: FATE's test skips them at 1.5.0, which has no such fields, and
// would leave them stale in a model that has them.
func migratePipeline(old *pb.Pipeline, c *MigrateConfig, modelID, version string, all bool) (*pb.Pipeline, error) {
	p := proto.Clone(old).(*pb.Pipeline)
	var tmplRole, tmplInit *jsonValue
	if c.raw != nil {
		tmplRole, tmplInit = c.raw.get("migrate_role"), c.raw.get("migrate_initiator")
	}
	roles := rolesJSON(c.MigrateRole, tmplRole)
	initiator := partyJSON(c.MigrateInitiator, tmplInit)

	p.ModelId, p.ModelVersion = modelID, version
	p.Roles = roles.pyDumps()

	trc, err := pipelineDoc(old.TrainRuntimeConf, "train_runtime_conf")
	if err != nil {
		return nil, err
	}
	trc.set("role", roles.clone())
	trc.set("initiator", initiator.clone())
	if err := setModelIDVersion(trc, modelID, version, "pipeline train_runtime_conf"); err != nil {
		return nil, err
	}
	p.TrainRuntimeConf = trc.pyDumps()

	cmp, err := compareVersion(old.FateVersion, "1.5.0")
	if err != nil {
		return nil, fmt.Errorf("pipeline: %w", err)
	}
	later := old.InitiatorRole != "" || old.InitiatorPartyId != 0 || len(old.RuntimeConfOnParty) > 0
	if cmp != "gt" && !(all && later) {
		return p, nil
	}
	p.InitiatorRole = c.MigrateInitiator.Role
	if c.MigrateInitiator.PartyID > math.MaxInt32 || c.MigrateInitiator.PartyID < math.MinInt32 {
		return nil, fmt.Errorf("migrate_initiator.party_id %d does not fit the pipeline's int32 initiator_party_id", c.MigrateInitiator.PartyID)
	}
	p.InitiatorPartyId = int32(c.MigrateInitiator.PartyID)
	rc, err := pipelineDoc(old.RuntimeConfOnParty, "runtime_conf_on_party")
	if err != nil {
		return nil, err
	}
	rc.set("role", roles.clone())
	rc.set("initiator", initiator.clone())
	jp, err := objectAt(rc, "job_parameters", "pipeline runtime_conf_on_party")
	if err != nil {
		return nil, err
	}
	jp.set("model_id", jsonStr(modelID))
	jp.set("model_version", jsonStr(version))
	p.RuntimeConfOnParty = rc.pyDumps()
	return p, nil
}

// migrateLocalParty rewrites runtime_conf_on_party.local.party_id, the
// party's own id, to its new id. FATE's migration leaves it stale (it sets
// role, initiator and job_parameters only); planrun fixes it unless asked
// to reproduce FATE exactly. A party id stored as a string stays a string.
func migrateLocalParty(p *pb.Pipeline, newID int64) error {
	if len(p.RuntimeConfOnParty) == 0 {
		return nil
	}
	rc, err := pipelineDoc(p.RuntimeConfOnParty, "runtime_conf_on_party")
	if err != nil {
		return err
	}
	local := rc.get("local")
	if local == nil || local.kind != jsonObject {
		return nil
	}
	old := local.get("party_id")
	if old == nil {
		return nil
	}
	if old.kind == jsonString {
		local.set("party_id", jsonStr(strconv.FormatInt(newID, 10)))
	} else {
		local.set("party_id", jsonInt(newID))
	}
	p.RuntimeConfOnParty = rc.pyDumps()
	return nil
}

// importPipeline makes the changes FATE 1.9+'s import makes: model_id and
// model_version from the request; for fate_version above 1.5.0 the same in
// runtime_conf_on_party.job_parameters, and below 1.9.0 also roles and
// runtime_conf_on_party role/initiator from train_runtime_conf.
// train_runtime_conf itself is left as it is.
func importPipeline(old *pb.Pipeline, modelID, version string) (*pb.Pipeline, error) {
	p := proto.Clone(old).(*pb.Pipeline)
	p.ModelId, p.ModelVersion = modelID, version
	above150, err := compareVersion(old.FateVersion, "1.5.0")
	if err != nil {
		return nil, fmt.Errorf("pipeline: %w", err)
	}
	if above150 != "gt" {
		return p, nil
	}
	trc, err := pipelineDoc(old.TrainRuntimeConf, "train_runtime_conf")
	if err != nil {
		return nil, err
	}
	rc, err := pipelineDoc(old.RuntimeConfOnParty, "runtime_conf_on_party")
	if err != nil {
		return nil, err
	}
	jp, err := objectAt(rc, "job_parameters", "pipeline runtime_conf_on_party")
	if err != nil {
		return nil, err
	}
	jp.set("model_id", jsonStr(modelID))
	jp.set("model_version", jsonStr(version))
	if below190, _ := compareVersion(old.FateVersion, "1.9.0"); below190 == "lt" {
		role := trc.get("role")
		if role == nil {
			return nil, fmt.Errorf("pipeline train_runtime_conf: role is missing")
		}
		p.Roles = role.pyDumps()
		rc.set("role", role.clone())
		if ini := trc.get("initiator"); ini != nil {
			rc.set("initiator", ini.clone())
		} else {
			return nil, fmt.Errorf("pipeline train_runtime_conf: initiator is missing")
		}
	}
	p.RuntimeConfOnParty = rc.pyDumps()
	return p, nil
}

// marshalBuffer encodes a buffer as FATE stores it: an empty message as
// the fill message.
func marshalBuffer(msg proto.Message) ([]byte, error) {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(msg)
	if err != nil {
		return nil, err
	}
	if len(b) == 0 {
		return append([]byte(nil), fillMessage...), nil
	}
	return b, nil
}

// migrateParentInfo points a deployed model's parent_info (FATE's deploy
// writes {"parent_model_id": <model id>, "parent_model_version": ...}: the
// model it was deployed from, under the same model id) at the parent's new
// model id. FATE's migration leaves the old id there; planrun rewrites it
// when it is the model's old id (or the old roles' gen_model_id), unless
// asked to reproduce FATE exactly. The parent's version is not a party id
// and stays.
func migrateParentInfo(p *pb.Pipeline, oldModelIDs []string, newModelID string) error {
	if len(p.ParentInfo) == 0 {
		return nil
	}
	info, err := pipelineDoc(p.ParentInfo, "parent_info")
	if err != nil {
		return err
	}
	id := info.get("parent_model_id")
	if id == nil || id.kind != jsonString || !slices.Contains(oldModelIDs, id.text) {
		return nil
	}
	info.set("parent_model_id", jsonStr(newModelID))
	p.ParentInfo = info.pyDumps()
	return nil
}

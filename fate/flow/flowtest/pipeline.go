package flowtest

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/planrun/planrun/fate/pb"
)

// compareVersion is fate_flow's compare_version(version, target): "gt",
// "eq" or "lt", the major number compared for "at least" only. A part
// that is not a number is Python's int() ValueError.
func compareVersion(version, target string) (string, error) {
	parse := func(s string) ([3]int, error) {
		var out [3]int
		parts := strings.Split(s, ".")
		for i := range out {
			if i >= len(parts) {
				return out, fmt.Errorf("list index out of range")
			}
			n, err := strconv.Atoi(parts[i])
			if err != nil {
				return out, fmt.Errorf("invalid literal for int() with base 10: '%s'", parts[i])
			}
			out[i] = n
		}
		return out, nil
	}
	v, err := parse(version)
	if err != nil {
		return "", err
	}
	t, _ := parse(target)
	switch {
	case v[0] < t[0]:
		return "lt", nil
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

// dslVersion is int(conf.get('dsl_version', 1)).
func dslVersion(conf map[string]any) (int64, error) {
	v, ok := conf["dsl_version"]
	if !ok {
		return 1, nil
	}
	switch x := v.(type) {
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n, nil
		}
		f, _ := x.Float64()
		return int64(f), nil
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("invalid literal for int() with base 10: '%s'", x)
		}
		return n, nil
	}
	return 0, fmt.Errorf("int() argument must be a string, a bytes-like object or a number, not '%s'", pyType(v))
}

// truthy is Python's bool() of a JSON value.
func truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case string:
		return x != ""
	case json.Number:
		f, err := x.Float64()
		return err != nil || f != 0
	case map[string]any:
		return len(x) > 0
	case []any:
		return len(x) > 0
	}
	return true
}

// updateModelIDVersion is JobRuntimeConfigAdapter(conf)
// .update_model_id_version(model_id, model_version). 1.7+ first add
// job_parameters ({} when falsy before 1.10, when absent from 1.10; the
// fake takes 1.7–1.9's test, which also covers absent) and
// job_parameters.common when absent; 1.5/1.6 add nothing, and a dsl v2
// conf without common then fails in get_common_parameters.
func (g Generation) updateModelIDVersion(conf map[string]any, modelID, version string) error {
	if g != Gen15 {
		if !truthy(conf["job_parameters"]) {
			conf["job_parameters"] = map[string]any{}
		}
		if jp, ok := conf["job_parameters"].(map[string]any); ok {
			if _, ok := jp["common"]; !ok {
				jp["common"] = map[string]any{}
			}
		}
	}
	dsl, err := dslVersion(conf)
	if err != nil {
		return err
	}
	jpAny, ok := conf["job_parameters"]
	if !ok {
		return fmt.Errorf("'job_parameters'")
	}
	jp, ok := jpAny.(map[string]any)
	if !ok {
		return fmt.Errorf("'%s' object does not support item assignment", pyType(jpAny))
	}
	target := jp
	if dsl == 2 {
		common, ok := jp["common"].(map[string]any)
		if !ok {
			return fmt.Errorf("the configuration format for v2 version must be job_parameters:common")
		}
		target = common
	}
	target["model_id"], target["model_version"] = modelID, version
	return nil
}

// migratePipeline makes /migrate/do's changes to the pipeline message
// (FATE.md §2): train_runtime_conf's role and initiator become
// migrate_role and migrate_initiator as sent, its model id and version
// the new ones (through the adapter); model_id and model_version; for
// fate_version above 1.5.0 initiator_role and initiator_party_id. 1.9+
// also sets roles, and, above 1.5.0, four keys of runtime_conf_on_party
// (role, initiator, job_parameters.model_id and .model_version), keeping
// every other key; 1.5–1.8 leave both as they were.
func (g Generation) migratePipeline(p *pb.Pipeline, conf map[string]any, modelID, version string) error {
	var trc map[string]any
	if err := unmarshalNumbers(p.TrainRuntimeConf, &trc); err != nil {
		return err
	}
	trc["role"] = conf["migrate_role"]
	trc["initiator"] = conf["migrate_initiator"]
	if err := g.updateModelIDVersion(trc, modelID, version); err != nil {
		return err
	}
	p.TrainRuntimeConf, _ = json.Marshal(trc)
	p.ModelId, p.ModelVersion = modelID, version
	if g == Gen19 {
		p.Roles, _ = json.Marshal(conf["migrate_role"])
	}
	above150, err := compareVersion(p.FateVersion, "1.5.0")
	if err != nil {
		return err
	}
	if above150 != "gt" {
		return nil
	}
	ini, _ := conf["migrate_initiator"].(map[string]any)
	role, ok := ini["role"].(string)
	if !ok {
		return fmt.Errorf("bad argument type for built-in operation")
	}
	pid, ok := ini["party_id"].(json.Number)
	n, err := pid.Int64()
	if !ok || err != nil {
		return fmt.Errorf("%s has type %s, but expected one of: int", pyObjRepr(ini["party_id"]), pyType(ini["party_id"]))
	}
	if n != int64(int32(n)) {
		return fmt.Errorf("Value out of range: %d", n)
	}
	p.InitiatorRole, p.InitiatorPartyId = role, int32(n)
	if g != Gen19 {
		return nil
	}
	var rcop map[string]any
	if err := unmarshalNumbers(p.RuntimeConfOnParty, &rcop); err != nil {
		return err
	}
	rcop["role"] = conf["migrate_role"]
	rcop["initiator"] = conf["migrate_initiator"]
	jp, ok := rcop["job_parameters"].(map[string]any)
	if !ok {
		return fmt.Errorf("'job_parameters'")
	}
	jp["model_id"], jp["model_version"] = modelID, version
	p.RuntimeConfOnParty, _ = json.Marshal(rcop)
	return nil
}

// unmarshalNumbers is json_loads of a JSON object, numbers kept as written.
func unmarshalNumbers(b []byte, v *map[string]any) error {
	d := json.NewDecoder(strings.NewReader(string(b)))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("Expecting value: %v", err)
	}
	if *v == nil {
		return fmt.Errorf("'NoneType' object does not support item assignment")
	}
	return nil
}

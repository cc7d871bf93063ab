package sample

import (
	"strconv"

	"github.com/planrun/planrun/fate/pb"
)

// dsl and confs of the training job, as FATE's DSL v2 writes them.

func (w *world) componentNames() []string {
	var names []string
	for _, m := range w.o.Components {
		names = append(names, w.cpnName(m))
	}
	return names
}

// cpnName is the component name of a module: data_transform_0, … (dataio_0
// before 1.7).
func (w *world) cpnName(module string) string {
	switch module {
	case DataTransform, DataIO:
		if w.minor < 7 {
			return "dataio_0"
		}
		return "data_transform_0"
	case HeteroFeatureBinning:
		return "hetero_feature_binning_0"
	case HeteroFeatureSelection:
		return "hetero_feature_selection_0"
	case HeteroSecureBoost:
		return "hetero_secureboost_0"
	default:
		return "hetero_pearson_0"
	}
}

func (w *world) moduleOf(module string) string {
	if module == DataTransform && w.minor < 7 {
		return DataIO
	}
	if module == DataIO && w.minor >= 7 {
		return DataTransform
	}
	return module
}

func (w *world) dsl(train bool) obj {
	comps := obj{{"reader_0", obj{{"module", "Reader"}, {"output", obj{{"data", []any{"data"}}}}}}}
	prev := "reader_0.data"
	for _, m := range w.o.Components {
		name := w.cpnName(m)
		c := obj{{"module", w.moduleOf(m)}, {"input", obj{{"data", obj{{"data", []any{prev}}}}}}}
		if train && m == HeteroFeatureSelection && contains(w.o.Components, HeteroFeatureBinning) {
			c[1].v = obj{{"data", obj{{"data", []any{prev}}}}, {"isometric_model", []any{w.cpnName(HeteroFeatureBinning) + ".model"}}}
		}
		c = append(c, kv{"output", obj{{"data", []any{"data"}}, {"model", []any{"model"}}}})
		comps = append(comps, kv{name, c})
		if m != HeteroPearson {
			prev = name + ".data"
		}
	}
	return obj{{"components", comps}}
}

func (w *world) roleIDs() obj {
	out := obj{}
	for _, role := range []string{"guest", "host", "arbiter"} {
		var ids []any
		for _, p := range w.o.Parties {
			if p.Role == role {
				ids = append(ids, p.ID)
			}
		}
		if len(ids) > 0 {
			out = append(out, kv{role, ids})
		}
	}
	return out
}

func (w *world) initiator() obj {
	return obj{{"role", "guest"}, {"party_id", w.guest.ID}}
}

func (w *world) componentParameters() obj {
	hostTables := obj{}
	for i := range w.hosts {
		hostTables = append(hostTables, kv{strconv.Itoa(i), obj{{"reader_0", obj{{"table", obj{{"name", "breast_hetero_host"}, {"namespace", "experiment"}}}}}}})
	}
	return obj{
		{"common", obj{{w.cpnName(HeteroSecureBoost), obj{{"task_type", "classification"}, {"num_trees", 8}, {"boosting_strategy", "mix"}}}}},
		{"role", obj{
			{"guest", obj{{"0", obj{{"reader_0", obj{{"table", obj{{"name", "breast_hetero_guest"}, {"namespace", "experiment"}}}}}, {w.cpnName(DataTransform), obj{{"with_label", true}}}}}}},
			{"host", hostTables},
		}},
	}
}

// trainConf is train_runtime_conf (DSL v2).
func (w *world) trainConf() obj {
	return obj{
		{"dsl_version", 2},
		{"initiator", w.initiator()},
		{"role", w.roleIDs()},
		{"job_parameters", obj{{"common", obj{{"job_type", "train"}, {"task_cores", 4}, {"model_id", w.o.ModelID}, {"model_version", w.o.Version}}}}},
		{"component_parameters", w.componentParameters()},
	}
}

// confOnParty is runtime_conf_on_party: the conf as the party ran it.
func (w *world) confOnParty(p Party) obj {
	return obj{
		{"dsl_version", 2},
		{"initiator", w.initiator()},
		{"role", w.roleIDs()},
		{"job_parameters", obj{{"job_type", "train"}, {"computing_engine", "STANDALONE"}, {"federation_engine", "STANDALONE"}, {"storage_engine", "STANDALONE"},
			{"engines_address", obj{}}, {"federated_mode", "SINGLE"}, {"task_parallelism", 1}, {"computing_partitions", 4}, {"federated_status_collect_type", "PUSH"},
			{"model_id", w.o.ModelID}, {"model_version", w.o.Version}, {"auto_retries", 0}, {"auto_retry_delay", 1}, {"eggroll_run", obj{}}, {"spark_run", obj{}},
			{"rabbitmq_run", obj{}}, {"pulsar_run", obj{}}, {"adaptation_parameters", obj{{"task_nodes", 1}, {"task_cores_per_node", 4}, {"task_memory_per_node", 0}, {"request_task_cores", 4}, {"if_initiator_baseline", false}}}}},
		{"component_parameters", w.componentParameters()},
		{"local", obj{{"role", p.Role}, {"party_id", p.ID}}},
		{"module", "Pipeline"},
	}
}

// pipeline is the party's Pipeline message.
func (w *world) pipeline(p Party) *pb.Pipeline {
	return &pb.Pipeline{
		InferenceDsl:       []byte(pyJSON(w.dsl(false))),
		TrainDsl:           []byte(pyJSON(w.dsl(true))),
		TrainRuntimeConf:   []byte(pyJSON(w.trainConf())),
		FateVersion:        w.o.FATEVersion,
		ModelId:            w.o.ModelID,
		ModelVersion:       w.o.Version,
		Parent:             true,
		Roles:              []byte(pyJSON(w.roleIDs())),
		InitiatorRole:      "guest",
		InitiatorPartyId:   int32(w.guest.ID),
		RuntimeConfOnParty: []byte(pyJSON(w.confOnParty(p))),
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

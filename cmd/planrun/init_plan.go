package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/planrun/planrun/fate"
	"github.com/planrun/planrun/hosts"
)

// planGen builds the plan `planrun init` writes.
type planGen struct {
	cfg     *fate.MigrateConfig
	inv     *inventory
	engine  string
	models  []modelItem
	name    string
	now     time.Time
	targets int
	// configFile is the migrate_model.json the verify steps read,
	// relative to the plan's directory ("" writes no verify steps).
	configFile string
	steps      int // steps per target, as written
}

// target is one party to migrate.
type target struct {
	role             string
	oldID, newID     int64
	oldHost, newHost string
	runHost          string // engine flow: whose FATE Flow runs the migration
	zipHost          string // where the migrated zip lands
}

func scalar(v string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v, Style: yaml.DoubleQuotedStyle}
}

func word(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v} }

func num(v int64) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(v, 10)}
}

// mapping builds a mapping from key, value pairs; a key "#text" sets the
// next key's head comment.
func mapping(kv ...any) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode}
	comment := ""
	for i := 0; i < len(kv); i += 2 {
		k := kv[i].(string)
		if strings.HasPrefix(k, "#") {
			comment = strings.TrimPrefix(k, "#")
			i--
			continue
		}
		key := word(k)
		key.HeadComment, comment = comment, ""
		n.Content = append(n.Content, key, kv[i+1].(*yaml.Node))
	}
	return n
}

func seq(items ...*yaml.Node) *yaml.Node { return &yaml.Node{Kind: yaml.SequenceNode, Content: items} }

func flowStyle(n *yaml.Node) *yaml.Node {
	n.Style = yaml.FlowStyle
	return n
}

// jsonNode turns a JSON-encodable value into a node (keys sorted).
func jsonNode(v any) *yaml.Node {
	b, _ := json.Marshal(v)
	var n yaml.Node
	_ = yaml.Unmarshal(b, &n)
	plain(n.Content[0])
	return n.Content[0]
}

// plain lets the encoder choose each scalar's quoting (JSON quotes all).
func plain(n *yaml.Node) {
	if n.Kind == yaml.ScalarNode {
		n.Style = 0
	}
	for _, c := range n.Content {
		plain(c)
	}
}

func rolesNode(r map[string][]int64) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}
	for _, role := range roleOrder(r) {
		ids := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for _, id := range r[role] {
			ids.Content = append(ids.Content, num(id))
		}
		n.Content = append(n.Content, word(role), ids)
	}
	return n
}

// roleOrder lists roles guest, host, arbiter first, then the rest sorted.
func roleOrder(r map[string][]int64) []string {
	rank := map[string]int{"guest": 0, "host": 1, "arbiter": 2}
	var out []string
	for k := range r {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		ri, oki := rank[out[i]]
		rj, okj := rank[out[j]]
		if oki != okj {
			return oki
		}
		if oki {
			return ri < rj
		}
		return out[i] < out[j]
	})
	return out
}

func (g *planGen) mode() string {
	m, _ := g.cfg.JobParameters["federated_mode"].(string)
	return m
}

// resolve maps every target party to its hosts, reporting every gap.
func (g *planGen) resolve() ([]target, error) {
	var probs []string
	host := func(role string, id int64, what string) string {
		k := role + ":" + strconv.FormatInt(id, 10)
		h, ok := g.inv.Parties[k]
		if !ok {
			probs = append(probs, fmt.Sprintf("%s: parties has no %q (the %s)", g.inv.file, k, what))
		}
		return h
	}
	need := func(h, field, why string) {
		if h == "" {
			return
		}
		spec := g.inv.Hosts[h]
		if field == "fate_base" && spec.FateBase == "" || field == "flow" && spec.Flow == "" {
			probs = append(probs, fmt.Sprintf("%s: host %s needs %s (%s)", g.inv.file, h, field, why))
		}
	}
	mode := g.mode()
	if g.engine == "flow" && mode != "SINGLE" && mode != "MULTIPLE" {
		return nil, fmt.Errorf("--engine flow: job_parameters.federated_mode must be SINGLE or MULTIPLE, got %q", mode)
	}
	initHost := ""
	if g.engine == "flow" && mode == "MULTIPLE" {
		init := g.cfg.MigrateInitiator
		initHost = host(init.Role, init.PartyID, "migrate_initiator, whose FATE Flow submits the migration")
		need(initHost, "flow", "its FATE Flow runs the migration")
	}
	var out []target
	for _, role := range roleOrder(g.cfg.Role) {
		for i, old := range g.cfg.Role[role] {
			if !contains(g.cfg.ExecuteParty[role], old) || i >= len(g.cfg.MigrateRole[role]) {
				continue
			}
			t := target{role: role, oldID: old, newID: g.cfg.MigrateRole[role][i]}
			t.oldHost = host(role, old, "old party, where its model is")
			t.newHost = host(role, t.newID, "new party, where the model is imported")
			need(t.oldHost, "fate_base", "the old model is read from its model_local_cache")
			need(t.newHost, "fate_base", "the new zip is shipped to <fate_base>/temp/planrun")
			switch {
			case g.engine == "native":
				t.zipHost = hosts.LocalName
			case mode == "SINGLE":
				t.runHost, t.zipHost = t.oldHost, t.oldHost
				need(t.oldHost, "flow", "its FATE Flow migrates its own party's model (SINGLE)")
			default:
				t.runHost, t.zipHost = initHost, t.oldHost
			}
			out = append(out, t)
		}
	}
	if len(probs) > 0 {
		sort.Strings(probs)
		return nil, errors.New(strings.Join(dedupe(probs), "\n"))
	}
	if len(out) == 0 {
		return nil, errors.New("no party to migrate: execute_party names none of role's parties")
	}
	return out, nil
}

func dedupe(s []string) []string {
	var out []string
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}

func contains(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// refs are the expressions for the model fields: vars, or batch items.
type refs struct{ modelID, version, unify string }

func (g *planGen) refs() refs {
	src := "vars"
	if g.models != nil {
		src = "item"
	}
	return refs{"${{ " + src + ".model_id }}", "${{ " + src + ".model_version }}", "${{ " + src + ".unify_model_version }}"}
}

func (g *planGen) configNode(r refs) *yaml.Node {
	c := g.cfg
	return mapping(
		"job_parameters", flowStyle(jsonNode(c.JobParameters)),
		"role", rolesNode(c.Role),
		"execute_party", rolesNode(c.ExecuteParty),
		"migrate_initiator", flowStyle(mapping("role", word(c.MigrateInitiator.Role), "party_id", num(c.MigrateInitiator.PartyID))),
		"migrate_role", rolesNode(c.MigrateRole),
		"model_id", scalar(r.modelID),
		"model_version", scalar(r.version),
		"unify_model_version", scalar(r.unify),
	)
}

func step(id, kind, comment string, with *yaml.Node, extra ...any) *yaml.Node {
	kv := append([]any{"id", word(id), "kind", word(kind), "with", with}, extra...)
	n := mapping(kv...)
	n.HeadComment = comment
	return n
}

func (g *planGen) targetSteps(t target, r refs) []*yaml.Node {
	old := t.role + "-" + strconv.FormatInt(t.oldID, 10)
	nw := t.role + "-" + strconv.FormatInt(t.newID, 10)
	oldPMID := t.role + "#" + strconv.FormatInt(t.oldID, 10) + "#" + r.modelID
	src := path.Join(g.inv.Hosts[t.oldHost].FateBase, "model_local_cache", oldPMID, r.version)
	newBase := g.inv.Hosts[t.newHost].FateBase
	migrateID, collectID, shipID := "migrate-"+old, "collect-"+old, "ship-"+nw
	out := func(id, name string) string { return "${{ steps." + id + ".outputs." + name + " }}" }

	var copyTo, copyWhy string
	switch {
	case g.engine == "flow":
		copyTo = "local:" + path.Join("work", old, oldPMID, r.version)
		copyWhy = "to this machine: a snapshot of the source kept with the run"
	default:
		copyTo = "local:" + path.Join("work", old, oldPMID, r.version)
		copyWhy = "to this machine, where planrun migrates it"
	}
	head := fmt.Sprintf("%s %d -> %d: model on %s, imported on %s\n1. copy the old model %s", t.role, t.oldID, t.newID, t.oldHost, t.newHost, copyWhy)
	list := []*yaml.Node{step("copy-"+old, "transfer", head,
		flowStyle(mapping("from", scalar(t.oldHost+":"+src), "to", scalar(copyTo))))}

	party := t.role + ":" + strconv.FormatInt(t.oldID, 10)
	if g.engine == "native" {
		list = append(list, step(migrateID, "migrate", "2. migrate it offline (FATE 1.9+ rewrite, plus the party-id fields FATE forgets)",
			mapping("engine", word("native"), "model", scalar("local:"+out("copy-"+old, "path")), "party", scalar(party), "config", g.configNode(r))))
	} else {
		where := "the FATE Flow of " + t.runHost
		if g.mode() == "SINGLE" {
			where += " (SINGLE: the old cluster migrates its own party, from the model its database knows)"
		} else {
			where += " (MULTIPLE: it runs on the party's own cluster, " + t.oldHost + ")"
		}
		list = append(list, step(migrateID, "migrate",
			"2. migrate it with "+where+"; every party's result is checked.\nNot retried automatically: FATE Flow may have done part of it; use planrun resume.",
			mapping("engine", word("flow"), "host", word(t.runHost), "party", scalar(party), "config", g.configNode(r)),
			"needs", flowStyle(seq(word("copy-"+old))),
			"retry", flowStyle(mapping("attempts", num(1)))))
	}
	list = append(list, step(collectID, "collect", "3. fetch the new zip and check it is whole",
		flowStyle(mapping("from", scalar(t.zipHost+":"+out(migrateID, "zip"))))))
	list = append(list, step(shipID, "transfer", "4. ship it to the new cluster",
		flowStyle(mapping("from", scalar("local:"+out(collectID, "path")), "to", scalar(t.newHost+":"+path.Join(newBase, "temp", "planrun")+"/")))))
	engine, why := "flow", "with its FATE Flow (registers the model, as `flow model import` does)"
	if g.inv.Hosts[t.newHost].Flow == "" {
		engine, why = "native", "into its model_local_cache (the host has no flow URL)"
	}
	list = append(list, step("import-"+nw, "import", "5. import it on "+t.newHost+" "+why,
		mapping("engine", word(engine), "host", word(t.newHost), "file", scalar(t.newHost+":"+out(shipID, "path")),
			"role", word(t.role), "party_id", num(t.newID),
			"model_id", scalar(out(migrateID, "model_id")), "model_version", scalar(out(migrateID, "model_version")),
			"sha256", scalar(out(collectID, "sha256")))))
	// 6. The check FATE lacks, after a native migration (FATE's own
	// leaves some party-id fields stale, which it would report every
	// time): where the model was installed is known from the native
	// import's outputs, or from the host's fate_base.
	importID := "import-" + nw
	model := ""
	switch {
	case engine == "native":
		model = t.newHost + ":" + out(importID, "dir")
	case newBase != "":
		model = t.newHost + ":" + path.Join(newBase, "model_local_cache", out(importID, "party_model_id"), out(importID, "model_version"))
	}
	if g.engine == "native" && g.configFile != "" && model != "" {
		list = append(list, step("verify-"+nw, "verify", "6. check that no old party id is left anywhere in the imported model (FATE has no such check)",
			flowStyle(mapping("model", scalar(model), "config_file", scalar(g.configFile)))))
	}
	g.steps = max(g.steps, len(list))
	return list
}

func (g *planGen) unifyAt(i int) string {
	t := g.now.Add(time.Duration(i) * time.Microsecond)
	return t.Format("20060102150405") + fmt.Sprintf("%06d", t.Nanosecond()/1000) + "0"
}

func (g *planGen) build() (*yaml.Node, error) {
	ts, err := g.resolve()
	if err != nil {
		return nil, err
	}
	g.targets = len(ts)
	r := g.refs()
	var stepsList []*yaml.Node
	for _, t := range ts {
		stepsList = append(stepsList, g.targetSteps(t, r)...)
	}
	name := g.name
	if name == "" {
		name = "migrate-" + strings.ReplaceAll(fate.AllPartyKey(g.cfg.MigrateRole), "#", "-")
	}
	hostNode := &yaml.Node{Kind: yaml.MappingNode}
	var names []string
	for h := range g.inv.Hosts {
		names = append(names, h)
	}
	sort.Strings(names)
	for _, h := range names {
		hostNode.Content = append(hostNode.Content, word(h), flowStyle(jsonNode(g.inv.Hosts[h])))
	}
	top := []any{"version", num(1), "name", scalar(name)}
	var body *yaml.Node
	if g.models == nil {
		unify, note := g.cfg.UnifyModelVersion, ""
		if unify == "" || unify == "optional" {
			unify = g.unifyAt(0)
			note = fmt.Sprintf("\nThe config has no unify_model_version (%q): planrun chose one, so every party's\nnew model shares it (FATE would use each migration job's id).", g.cfg.UnifyModelVersion)
		}
		top = append(top, "#The model and the version every migrated party model gets (unify_model_version)."+note,
			"vars", mapping("model_id", scalar(g.cfg.ModelID), "model_version", scalar(g.cfg.ModelVersion), "unify_model_version", scalar(unify)))
		body = seq(stepsList...)
	} else {
		items := &yaml.Node{Kind: yaml.SequenceNode}
		for i, m := range g.models {
			u := m.Unify
			if u == "" {
				u = g.unifyAt(i)
			}
			items.Content = append(items.Content, flowStyle(mapping("model_id", scalar(m.ModelID), "model_version", scalar(m.ModelVersion), "unify_model_version", scalar(u))))
		}
		b := mapping("batch", word("models"), "for_each", items, "steps", seq(stepsList...))
		b.HeadComment = "Every model below gets its own chain of steps; one model's failure never stops another's."
		body = seq(b)
	}
	top = append(top,
		"#How to reach each machine (from the hosts inventory). FATE Flow secrets come from\nthe environment variable named by flow_secret_env, never from this file.",
		"hosts", hostNode,
		"defaults", flowStyle(mapping("retry", flowStyle(mapping("attempts", num(3), "backoff", word("5s"))), "timeout", word("2h"))),
		"#"+stepsLine(g.steps),
		"steps", body)
	doc := mapping(top...)
	doc.HeadComment = fmt.Sprintf("Written by planrun init (engine %s, federated_mode %s) for %d target parties.\n"+
		"Check it with `planrun plan FILE` and `planrun validate --connect FILE` (which logs in to\n"+
		"every host), run it with `planrun apply FILE`, and after a failure continue with\n"+
		"`planrun resume`: finished steps are not redone.", g.engine, orNone(g.mode()), len(ts))
	return &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{doc}}, nil
}

func orNone(s string) string {
	if s == "" {
		return "(not set)"
	}
	return s
}

// stepsLine says what each target gets.
func stepsLine(n int) string {
	if n >= 6 {
		return "Six steps per target party: copy, migrate, collect, ship, import, verify."
	}
	return "Five steps per target party: copy, migrate, collect, ship, import."
}

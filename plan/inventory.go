package plan

import (
	"go.yaml.in/yaml/v3"
	"path/filepath"

	"github.com/planrun/planrun/hosts"
	"github.com/planrun/planrun/internal/suggest"
	"github.com/planrun/planrun/schemas"
)

// Inventory is a hosts file in `planrun init`'s form: hosts (as a plan's
// hosts:) and parties ("role:party_id" -> host name).
type Inventory struct {
	Hosts   map[string]hosts.Spec
	Parties map[string]string
	// PartyPos is where each party is named, for messages.
	PartyPos map[string]Pos
}

// LoadInventory reads an inventory file with the checks a plan's hosts
// get (schema, typed fields, ssh_config), and its parties' shape, each
// party name checked by checkParty when not nil. Every problem is
// reported, as Errors with positions.
func LoadInventory(file string, checkParty func(string) error) (*Inventory, error) {
	l := newLoader(Options{})
	l.dir = filepath.Dir(file) // the files hosts name are relative to the inventory
	root := l.parseYAML(file)
	if root == nil {
		return nil, l.c.result()
	}
	m := deref(root)
	inv := &Inventory{Parties: map[string]string{}, PartyPos: map[string]Pos{}}
	if m == nil || m.Kind != yaml.MappingNode {
		l.c.add(Pos{File: file, Line: 1, Col: 1}, "want a mapping with hosts: and parties:")
		return nil, l.c.result()
	}
	if plainHostMap(m) {
		l.c.add(Pos{File: file, Line: 1, Col: 1}, "this is a map of hosts only (the form a plan's hosts: file takes); "+
			"init's inventory has it under hosts:, and parties: beside it, naming the host of each "+
			"\"role:party_id\" (old and new ids): see planrun init --help")
		return nil, l.c.result()
	}
	var hostsNode, partiesNode *yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i]
		switch k.Value {
		case "hosts":
			hostsNode = deref(m.Content[i+1])
		case "parties":
			partiesNode = deref(m.Content[i+1])
		default:
			l.c.add(posOf(file, k), "unknown field %q%s", k.Value, suggest.Hint(k.Value, []string{"hosts", "parties"}))
		}
	}
	if hostsNode == nil {
		l.c.add(Pos{File: file, Line: 1, Col: 1}, `missing field "hosts"`)
	} else {
		l.schemaCheck(file, hostsNode, schemas.CheckHosts)
		l.readHosts(&source{name: file, dir: l.dir}, hostsNode)
	}
	switch {
	case partiesNode == nil:
		l.c.add(Pos{File: file, Line: 1, Col: 1}, `missing field "parties"`)
	case partiesNode.Kind != yaml.MappingNode:
		l.c.add(posOf(file, partiesNode), "parties: want a mapping of \"role:party_id\" to a host name")
	default:
		for i := 0; i+1 < len(partiesNode.Content); i += 2 {
			k, v := partiesNode.Content[i], deref(partiesNode.Content[i+1])
			if v.Kind != yaml.ScalarNode {
				l.c.add(posOf(file, v), "parties.%q: want a host name", k.Value)
				continue
			}
			if _, dup := inv.Parties[k.Value]; dup {
				l.c.add(posOf(file, k), "parties: %q is named twice", k.Value)
				continue
			}
			if checkParty != nil {
				if err := checkParty(k.Value); err != nil {
					l.c.add(posOf(file, k), "parties.%q: %v", k.Value, err)
				}
			}
			inv.Parties[k.Value] = v.Value
			inv.PartyPos[k.Value] = posOf(file, v)
		}
	}
	if hostsNode != nil {
		for name, h := range inv.Parties {
			if _, ok := l.plan.Hosts[h]; !ok && h != hosts.LocalName {
				l.c.add(inv.PartyPos[name], "parties.%q: host %q is not under hosts%s", name, h, suggest.Hint(h, keys(l.plan.Hosts)))
			}
		}
	}
	inv.Hosts = l.plan.Hosts
	if errs := l.c.result(); errs != nil {
		return nil, errs
	}
	return inv, nil
}

// plainHostMap reports whether m is a plan's hosts file (host name ->
// spec) rather than an inventory: no hosts: or parties: key, and every
// value a mapping with a field a host spec has.
func plainHostMap(m *yaml.Node) bool {
	if len(m.Content) == 0 {
		return false
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := m.Content[i].Value; k == "hosts" || k == "parties" {
			return false
		}
		v := deref(m.Content[i+1])
		if v == nil || v.Kind != yaml.MappingNode {
			return false
		}
		known := false
		for _, f := range []string{"ssh", "root", "fate_base", "flow"} {
			if k, _ := mapGet(v, f); k != nil {
				known = true
			}
		}
		if !known {
			return false
		}
	}
	return true
}

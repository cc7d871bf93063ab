package plan

import (
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/planrun/planrun/hosts"
	"github.com/planrun/planrun/schemas"
	"go.yaml.in/yaml/v3"
)

// defaults are a file's `defaults:`.
type defaults struct {
	retry   rawRetry
	timeout Duration
}

// rawRetry is a retry block as written: unset fields are nil.
type rawRetry struct {
	Attempts   *int      `yaml:"attempts"`
	Backoff    *Duration `yaml:"backoff"`
	MaxBackoff *Duration `yaml:"max_backoff"`
}

// over returns r with unset fields taken from d.
func (r rawRetry) over(d rawRetry) rawRetry {
	if r.Attempts == nil {
		r.Attempts = d.Attempts
	}
	if r.Backoff == nil {
		r.Backoff = d.Backoff
	}
	if r.MaxBackoff == nil {
		r.MaxBackoff = d.MaxBackoff
	}
	return r
}

func (r rawRetry) policy() Retry {
	p := Retry{Attempts: 1}
	if r.Attempts != nil {
		p.Attempts = *r.Attempts
	}
	if r.Backoff != nil {
		p.Backoff = *r.Backoff
	}
	if r.MaxBackoff != nil {
		p.MaxBackoff = *r.MaxBackoff
	}
	return p
}

// sections reads a file's top-level settings (everything but steps).
func (l *loader) sections(s *source) {
	if _, v := mapGet(s.root, "version"); v != nil && v.ShortTag() == "!!int" && v.Value != "1" {
		l.c.add(posOf(s.name, v), "version: unsupported plan version %s: want 1", v.Value)
	}
	if l.plan.Version == 0 {
		l.plan.Version = 1
	}
	if _, v := mapGet(s.root, "name"); isStr(v) && l.plan.Name == "" {
		l.plan.Name = v.Value
	}
	// One bad entry does not discard its section (the schema check named
	// it): the others are read, so steps using them are not reported too.
	if _, v := mapGet(s.root, "vars"); v != nil && v.Kind == yaml.MappingNode {
		l.readVars(s, v)
	}
	if _, v := mapGet(s.root, "hosts"); v != nil {
		l.readHosts(s, v)
	}
	if _, v := mapGet(s.root, "limits"); v != nil && v.Kind == yaml.MappingNode {
		for _, p := range pairs(v) {
			k := p.k
			var n int
			if deref(p.v).Decode(&n) != nil || l.bad[deref(p.v)] {
				n = 0 // reported by the schema check; the pool still exists
			}
			if l.dup(l.poolPos, s.name, k, "limits pool") {
				continue
			}
			l.plan.Limits[k.Value] = n
		}
	}
}

// dup records name's position and reports whether it was already defined.
func (l *loader) dup(seen map[string]Pos, file string, k *yaml.Node, what string) bool {
	if first, ok := seen[k.Value]; ok {
		l.c.add(posOf(file, k), "%s %q is already defined at %s", what, k.Value, first)
		return true
	}
	seen[k.Value] = posOf(file, k)
	return false
}

func (l *loader) readVars(s *source, v *yaml.Node) {
	for _, p := range pairs(v) {
		k, val := p.k, deref(p.v)
		if val == nil || val.Kind != yaml.ScalarNode || l.dup(l.varPos, s.name, k, "var") {
			continue
		}
		l.plan.Vars[k.Value] = val.Value
		refs, err := scanRefs(val.Value)
		if err != nil {
			l.c.add(l.exprPos(s.name, val, strings.Index(val.Value, "${{")), "vars.%s: %v", k.Value, err)
		}
		for _, r := range refs {
			pos := l.exprPos(s.name, val, r.Start)
			switch {
			case r.Scope != "env":
				l.c.add(pos, "vars.%s: %s: only ${{ env.NAME }} may be used in vars", k.Value, r.Text)
			default:
				if _, ok := l.opts.Getenv(r.Name); !ok {
					l.c.add(pos, "vars.%s: environment variable %s is not set", k.Value, r.Name)
				}
			}
		}
	}
}

// readHosts reads an inline inventory or a hosts.yaml file.
func (l *loader) readHosts(s *source, v *yaml.Node) {
	file, m := s.name, v
	rebase := "" // a hosts file's directory, relative to the plan's
	if isStr(v) {
		path := v.Value
		if !filepath.IsAbs(path) {
			path = filepath.Join(s.dir, path)
		}
		root := l.parseYAML(path)
		if root == nil {
			return
		}
		file, m = path, inventoryHosts(deref(root))
		if m == nil {
			return
		}
		l.schemaCheck(file, m, schemas.CheckHosts)
		rebase = hostsFileDir(l.dir, path)
	}
	if m.Kind != yaml.MappingNode {
		return
	}
	for _, p := range pairs(m) {
		k, val := p.k, deref(p.v)
		var spec hosts.Spec
		if !l.bad[val] {
			// The schema check reports bad entries; the name still counts
			// as defined so that steps naming it are not reported too.
			for _, e := range decodeInto(value(val), &spec) {
				l.c.add(posOf(file, val), "hosts.%s: %s", k.Value, e.msg)
			}
		}
		spec = spec.Rebased(rebase)
		if k.Value == "local" && spec.SSH != "" {
			l.c.add(posOf(file, k), "hosts.local: the local host cannot have ssh: it is this machine")
			continue
		}
		if l.dup(l.hostPos, file, k, "host") {
			continue
		}
		if spec.SSH != "" && !l.bad[val] {
			// The address, and what ssh_config says for it, are checked
			// now rather than when a step first connects. File names are
			// shown as the plan's are: relative to where planrun runs.
			if err := hosts.CheckSSH(spec.InDir(l.dir)); err != nil {
				l.c.add(posOf(file, val), "hosts.%s: %v", k.Value, err)
			}
		}
		l.plan.Hosts[k.Value] = spec
	}
}

// checkHostLinks checks what a host entry says of other things, once
// every file's hosts are read: a FATE Flow URL that is one, and jump
// hosts that lead somewhere (the rest is checked when planrun connects).
func (l *loader) checkHostLinks() {
	names := make([]string, 0, len(l.plan.Hosts))
	for n := range l.plan.Hosts {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		spec := l.plan.Hosts[n]
		pos := l.hostPos[n]
		if spec.Flow != "" && !strings.Contains(spec.Flow, "${{") {
			switch _, err := hosts.ParseFlowURL(spec.Flow); {
			case errors.Is(err, hosts.ErrFlowUserinfo):
				l.c.add(pos, "hosts.%s: flow %q: %v", n, hosts.RedactURL(spec.Flow), hosts.ErrFlowUserinfo)
			case err != nil:
				l.c.add(pos, "hosts.%s: flow %q: want a URL such as http://10.1.0.5:9380", n, hosts.RedactURL(spec.Flow))
			}
		}
		if spec.SSH != "" {
			if err := hosts.CheckJumps(l.plan.Hosts, n); err != nil {
				l.c.add(pos, "hosts.%s: %s", n, strings.TrimPrefix(err.Error(), fmt.Sprintf("host %q: ", n)))
			}
		}
	}
}

// hostsFileDir is the directory of the hosts file at path, relative to
// the plan's directory dir (absolute when path is, or when no relative
// way leads there): the files a hosts file names are relative to it.
func hostsFileDir(dir, path string) string {
	d := filepath.Dir(path)
	if filepath.IsAbs(d) {
		return d
	}
	if r, err := filepath.Rel(dir, d); err == nil {
		return r
	}
	if a, err := filepath.Abs(d); err == nil {
		return a
	}
	return d
}

// inventoryHosts accepts both forms of a hosts file: the plain map from
// host name to settings, and `planrun init`'s inventory, whose top level
// holds only `hosts:` (that map) and `parties:` (which plans do not need).
func inventoryHosts(m *yaml.Node) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return m
	}
	var hostsNode *yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		switch m.Content[i].Value {
		case "hosts":
			hostsNode = deref(m.Content[i+1])
		case "parties":
		default:
			return m
		}
	}
	if hostsNode == nil || hostsNode.Kind != yaml.MappingNode {
		return m
	}
	return hostsNode
}

// fileDefaults reads a file's `defaults:`.
func (l *loader) fileDefaults(s *source) defaults {
	var d defaults
	_, v := mapGet(s.root, "defaults")
	if v == nil || l.bad[v] {
		return d
	}
	if _, r := mapGet(v, "retry"); r != nil {
		decodeInto(value(r), &d.retry)
	}
	if _, t := mapGet(v, "timeout"); t != nil {
		decodeInto(value(t), &d.timeout)
	}
	return d
}

// knownList formats names for "(known: ...)" hints.
func knownList(names []string) string {
	sorted := append([]string(nil), names...)
	sort.Strings(sorted)
	return strings.Join(sorted, ", ")
}

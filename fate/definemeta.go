package fate

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// DefineMeta is define/define_meta.yaml: each component's module and the
// model buffers (name → proto class) it stores per alias, in file order.
type DefineMeta struct {
	Components []ComponentDef // component_define
	Models     []ModelDef     // model_proto, one per component and alias
}

// ComponentDef is one component_define entry.
type ComponentDef struct {
	Name   string `json:"name"`
	Module string `json:"module"`
}

// ModelDef is one model_proto entry: a component's alias and its buffers.
type ModelDef struct {
	Component string      `json:"component"`
	Alias     string      `json:"alias"`
	Buffers   []BufferDef `json:"buffers"`
}

// BufferDef names one buffer file and its proto class.
type BufferDef struct {
	Name  string `json:"name"`
	Proto string `json:"proto"`
}

// Module returns a component's module name ("" if it is not defined).
func (d *DefineMeta) Module(component string) string {
	for _, c := range d.Components {
		if c.Name == component {
			return c.Module
		}
	}
	return ""
}

// parseDefineMeta reads define_meta.yaml; file names it in errors.
func parseDefineMeta(data []byte, file string) (*DefineMeta, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("parse %s: %w", file, err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("parse %s: want a mapping with component_define and model_proto", file)
	}
	root := doc.Content[0]
	d := &DefineMeta{}
	bad := func(n *yaml.Node, what string) error {
		return fmt.Errorf("parse %s:%d:%d: %s", file, n.Line, n.Column, what)
	}
	cd := mapValue(root, "component_define")
	if cd == nil {
		return nil, bad(root, "component_define is missing")
	}
	if cd.Kind != yaml.MappingNode {
		return nil, bad(cd, "component_define: want a mapping")
	}
	for i := 0; i+1 < len(cd.Content); i += 2 {
		name, v := cd.Content[i].Value, cd.Content[i+1]
		mod := mapValue(v, "module_name")
		if mod == nil || mod.Kind != yaml.ScalarNode {
			return nil, bad(v, "component_define."+name+".module_name: want a string")
		}
		d.Components = append(d.Components, ComponentDef{Name: name, Module: mod.Value})
	}
	mp := mapValue(root, "model_proto")
	if mp == nil {
		return nil, bad(root, "model_proto is missing")
	}
	if mp.Kind != yaml.MappingNode {
		return nil, bad(mp, "model_proto: want a mapping")
	}
	for i := 0; i+1 < len(mp.Content); i += 2 {
		cpn, aliases := mp.Content[i].Value, mp.Content[i+1]
		if aliases.Kind != yaml.MappingNode {
			return nil, bad(aliases, "model_proto."+cpn+": want a mapping of aliases")
		}
		for j := 0; j+1 < len(aliases.Content); j += 2 {
			alias, bufs := aliases.Content[j].Value, aliases.Content[j+1]
			if bufs.Kind != yaml.MappingNode {
				return nil, bad(bufs, "model_proto."+cpn+"."+alias+": want a mapping of model names")
			}
			md := ModelDef{Component: cpn, Alias: alias}
			for k := 0; k+1 < len(bufs.Content); k += 2 {
				md.Buffers = append(md.Buffers, BufferDef{Name: bufs.Content[k].Value, Proto: bufs.Content[k+1].Value})
			}
			d.Models = append(d.Models, md)
		}
	}
	return d, nil
}

func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

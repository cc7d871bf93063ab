package fate

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"path"
	"strings"

	"go.yaml.in/yaml/v3"
)

// checkpointMeta is a checkpoint step's database.yaml
// (checkpoint/<component>/<step_index>#<step_name>/database.yaml): each
// model's sha1 and proto class.
type checkpointMeta struct {
	Models map[string]struct {
		SHA1       string `yaml:"sha1"`
		BufferName string `yaml:"buffer_name"`
	} `yaml:"models"`
}

// checkpointGroups makes one buffer group per checkpoint step of a
// component with a module: its <Model>.pb buffers are converted like the
// component's, their .json twins regenerated, and the sha1 values in
// database.yaml updated to the new bytes.
func checkpointGroups(m *Model, changed *rewrites) ([]bufferGroup, error) {
	var groups []bufferGroup
	for _, f := range m.files {
		parts := strings.Split(f.path, "/")
		if len(parts) != 4 || parts[0] != "checkpoint" || parts[3] != "database.yaml" {
			continue
		}
		module := m.Define.Module(parts[1])
		if module == "" {
			continue
		}
		dir := path.Dir(f.path)
		data, err := m.ReadFile(f.path)
		if err != nil {
			return nil, err
		}
		var meta checkpointMeta
		if err := yaml.Unmarshal(data, &meta); err != nil {
			return nil, fmt.Errorf("parse %s: %w", f.path, err)
		}
		bg := bufferGroup{name: dir, module: module, paths: map[string]string{}, classes: map[string]string{},
			twin: func(p string) string { return strings.TrimSuffix(p, ".pb") + ".json" }}
		for name, mm := range meta.Models {
			p := path.Join(dir, name+".pb")
			if !m.Has(p) {
				return nil, fmt.Errorf("%s: models.%s: %s is missing", f.path, name, p)
			}
			bg.paths[name] = p
			bg.classes[name] = mm.BufferName
		}
		yamlPath, yamlText := f.path, string(data)
		bg.after = func(old, news map[string][]byte) error {
			text := yamlText
			for name, nb := range news {
				recorded := meta.Models[name].SHA1
				sum := sha1.Sum(nb)
				if recorded == "" || !strings.Contains(text, recorded) {
					return fmt.Errorf("%s: models.%s.sha1 not found", yamlPath, name)
				}
				text = strings.ReplaceAll(text, recorded, hex.EncodeToString(sum[:]))
			}
			changed.set(yamlPath, []byte(text))
			return nil
		}
		groups = append(groups, bg)
	}
	return groups, nil
}

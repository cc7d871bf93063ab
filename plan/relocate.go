package plan

import (
	"fmt"
	"os"
	"path/filepath"

	"go.yaml.in/yaml/v3"
)

// Path returns the plan file's absolute path (File as loaded is
// relative to the working directory of the command that loaded it), or ""
// when the plan has no file.
func (p *Plan) Path() string {
	if p.File == "" || p.BaseDir == "" {
		return p.File
	}
	return filepath.Join(p.BaseDir, filepath.Base(p.File))
}

// GoneDirError is Relocate's error: the plan's directory, which the run's
// relative local paths resolve against, no longer exists.
type GoneDirError struct {
	Dir string
}

func (e *GoneDirError) Error() string {
	return fmt.Sprintf("the plan's directory %s no longer exists (the run's relative local paths resolve against it)", e.Dir)
}

// Relocate points p, a frozen plan, at where its directory is now, for a
// run resumed from the state directory stateDir (absolute). When the
// state directory is no longer where the run started (p.StateDir), the
// plan file is looked for at the same place relative to stateDir, and
// taken when it names the same plan (its name: field): a workspace moved
// or copied whole (a CI job restoring its state and work into a new
// checkout) resumes in the new place, not in the old one. Found there,
// p's BaseDir and File move (StateDir stays: where the run started) and
// Relocate returns the directory it moved from; otherwise p stays. A plan
// directory that no longer exists is a *GoneDirError.
func (p *Plan) Relocate(stateDir string) (from string, err error) {
	if p.BaseDir == "" {
		return "", nil
	}
	if p.StateDir != "" && p.File != "" && filepath.Clean(stateDir) != p.StateDir {
		if rel, err := filepath.Rel(p.StateDir, p.BaseDir); err == nil {
			dir := filepath.Join(stateDir, rel)
			file := filepath.Join(dir, filepath.Base(p.File))
			if fi, err := os.Stat(file); err == nil && fi.Mode().IsRegular() && dir != p.BaseDir && sameName(file, p.Name) {
				from = p.BaseDir
				p.BaseDir, p.File = dir, file
				return from, nil
			}
		}
	}
	if fi, err := os.Stat(p.BaseDir); err != nil || !fi.IsDir() {
		return "", &GoneDirError{Dir: p.BaseDir}
	}
	return "", nil
}

// sameName reports whether the plan file at path names its plan name (a
// plan without a name matches any).
func sameName(path, name string) bool {
	if name == "" {
		return true
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	var head struct {
		Name string `yaml:"name"`
	}
	// Another document's errors say nothing here: only its name counts.
	_ = yaml.Unmarshal(b, &head)
	return head.Name == name
}

package plan

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestRelocate(t *testing.T) {
	root := t.TempDir()
	mk := func(files ...string) {
		for _, f := range files {
			p := filepath.Join(root, f)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte("version: 1\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	// old: the run's workspace, still there; new: a copy of it; alone: a
	// state directory with no plan beside it; nested: the plan one
	// directory below the state directory's parent.
	mk("old/plan.yaml", "new/plan.yaml", "alone/x", "n2/plans/p.yaml", "notafile/plan.yaml/x")
	named := func(f, name string) {
		if err := os.WriteFile(filepath.Join(root, f), []byte("version: 1\nname: "+name+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mk("other/plan.yaml", "same/plan.yaml")
	named("other/plan.yaml", "another-plan")
	named("same/plan.yaml", "migrate-a")
	at := func(p string) string { return filepath.Join(root, p) }
	tests := []struct {
		name               string
		file, base, state  string // as frozen
		stateNow           string
		wantBase, wantFrom string
		wantGone           bool
		planName           string
	}{
		{"copied whole, named", "plan.yaml", "old", "old/.planrun", "same/.planrun", "same", "old", false, "migrate-a"},
		{"beside a plan of another name", "plan.yaml", "old", "old/.planrun", "other/.planrun", "old", "", false, "migrate-a"},
		{"beside a plan with no name", "plan.yaml", "old", "old/.planrun", "new/.planrun", "old", "", false, "migrate-a"},
		{"same place", "plan.yaml", "old", "old/.planrun", "old/.planrun", "old", "", false, ""},
		{"copied whole", "plan.yaml", "old", "old/.planrun", "new/.planrun", "new", "old", false, ""},
		{"plan in a subdirectory", "plans/p.yaml", "n1/plans", "n1/.planrun", "n2/.planrun", "n2/plans", "n1/plans", false, ""},
		{"state alone moved", "plan.yaml", "old", "old/.planrun", "alone/.planrun", "old", "", false, ""},
		{"moved, plan not a file there", "plan.yaml", "old", "old/.planrun", "notafile/.planrun", "old", "", false, ""},
		{"gone", "plan.yaml", "gone", "gone/.planrun", "alone/.planrun", "gone", "", true, ""},
		{"gone, same place", "plan.yaml", "gone", "gone/.planrun", "gone/.planrun", "gone", "", true, ""},
		{"no state recorded (older planrun)", "plan.yaml", "old", "", "new/.planrun", "old", "", false, ""},
		{"no state recorded, gone", "plan.yaml", "gone", "", "new/.planrun", "gone", "", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &Plan{File: tt.file, BaseDir: at(tt.base), Name: tt.planName}
			if tt.state != "" {
				p.StateDir = at(tt.state)
			}
			from, err := p.Relocate(at(tt.stateNow))
			var gone *GoneDirError
			if got := errors.As(err, &gone); got != tt.wantGone || (err != nil && !got) {
				t.Fatalf("error %v, want gone=%v", err, tt.wantGone)
			}
			if gone != nil && gone.Dir != at(tt.wantBase) {
				t.Errorf("gone dir %s, want %s", gone.Dir, at(tt.wantBase))
			}
			if p.BaseDir != at(tt.wantBase) {
				t.Errorf("base dir %s, want %s", p.BaseDir, at(tt.wantBase))
			}
			wantFrom := ""
			if tt.wantFrom != "" {
				wantFrom = at(tt.wantFrom)
			}
			if from != wantFrom {
				t.Errorf("from %q, want %q", from, wantFrom)
			}
			if want := filepath.Join(p.BaseDir, filepath.Base(tt.file)); p.Path() != want {
				t.Errorf("path %s, want %s", p.Path(), want)
			}
			if tt.state != "" && p.StateDir != at(tt.state) {
				t.Errorf("state dir changed to %s", p.StateDir)
			}
		})
	}
}

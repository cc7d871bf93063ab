package main

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// examplesDir is the repository's examples/ directory.
const examplesDir = "../../examples"

// isPlan reports whether a YAML file is a plan (not a hosts inventory, a
// CI workflow or an item list).
func isPlan(path string) bool {
	b, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	s := string(b)
	return strings.Contains(s, "\nsteps:") && strings.Contains(s, "version: 1")
}

// TestExamplesValidate walks examples/ and validates every plan in it.
func TestExamplesValidate(t *testing.T) {
	var plans []string
	err := filepath.WalkDir(examplesDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "work" || d.Name() == "clusters" || d.Name() == ".github") {
			return filepath.SkipDir
		}
		if !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) && isPlan(p) {
			plans = append(plans, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(plans) == 0 {
		t.Fatal("no plans found under examples/")
	}
	for _, p := range plans {
		t.Run(filepath.ToSlash(strings.TrimPrefix(p, examplesDir+"/")), func(t *testing.T) {
			var out, errb bytes.Buffer
			if code := run([]string{"validate", p}, nil, &out, &errb); code != exitOK {
				t.Fatalf("planrun validate %s: exit %d\n%s%s", p, code, out.String(), errb.String())
			}
		})
	}
}

// copyTree copies the example into a fresh directory, leaving out what a
// run writes.
func copyTree(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() && (rel == "work" || rel == ".planrun" || strings.HasPrefix(rel, filepath.Join("clusters", "guest-")) || strings.HasPrefix(rel, filepath.Join("clusters", "host-"))) {
			return filepath.SkipDir
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestQuickstart runs the README's first command on a copy of the
// quickstart, after its preflight (validate --connect): every step
// succeeds, every imported model scans clean with `planrun model verify`,
// and a second apply runs nothing (how fast: bench/, not here).
func TestQuickstart(t *testing.T) {
	dir := t.TempDir()
	copyTree(t, filepath.Join(examplesDir, "quickstart"), dir)
	plan := filepath.Join(dir, "plan.yaml")
	state := filepath.Join(dir, ".planrun")

	var out, errb bytes.Buffer
	// The preflight passes before the run has made the new clusters.
	if code := run([]string{"validate", "--connect", plan}, nil, &out, &errb); code != exitOK ||
		strings.Count(out.String(), ": ok") != 4 {
		t.Fatalf("validate --connect: exit %d\n%s%s", code, out.String(), errb.String())
	}
	out.Reset()
	if code := run([]string{"apply", plan, "--state", state}, nil, &out, &errb); code != exitOK {
		t.Fatalf("apply: exit %d\n%s%s", code, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "18 steps ok, 0 failed, 0 skipped") {
		t.Errorf("apply summary missing:\n%s", out.String())
	}

	imported, _ := filepath.Glob(filepath.Join(dir, "clusters", "*", "model_local_cache", "*#*#*", "*"))
	want := map[string]bool{
		"guest#99#arbiter-100#guest-99#host-100#model":    false,
		"host#100#arbiter-100#guest-99#host-100#model":    false,
		"arbiter#100#arbiter-100#guest-99#host-100#model": false,
	}
	for _, m := range imported {
		if fi, err := os.Stat(m); err != nil || !fi.IsDir() || strings.Contains(m, filepath.Join("clusters", "old")) {
			continue
		}
		want[filepath.Base(filepath.Dir(m))] = true
		out.Reset()
		errb.Reset()
		if code := run([]string{"model", "verify", m, "--config", filepath.Join(dir, "migrate_model.json")}, nil, &out, &errb); code != exitOK {
			t.Errorf("model verify %s: exit %d\n%s%s", m, code, out.String(), errb.String())
		}
	}
	for pm, seen := range want {
		if !seen {
			t.Errorf("model %s was not imported (found %v)", pm, imported)
		}
	}

	out.Reset()
	errb.Reset()
	code := run([]string{"apply", plan, "--state", state}, nil, &out, &errb)
	if code != exitOK {
		t.Fatalf("second apply: exit %d\n%s%s", code, out.String(), errb.String())
	}
	if !strings.Contains(out.String()+errb.String(), "18 step(s) already done") {
		t.Errorf("second apply did not skip every step:\n%s%s", out.String(), errb.String())
	}

	// Everything again, with a new state directory (the README's way to
	// redo a run), and the migrated archives written where a migrate step
	// without out: writes them (in the run's own directory): the
	// migrations give the same archives wherever they are written, so each
	// import finds its model already installed from them.
	planData, err := os.ReadFile(plan)
	if err != nil {
		t.Fatal(err)
	}
	again := regexp.MustCompile(`(?m)^ *out: .*\n`).ReplaceAll(planData, nil)
	if bytes.Equal(again, planData) {
		t.Fatal("the quickstart's migrate has no out: to remove")
	}
	plan = filepath.Join(dir, "again.yaml")
	if err := os.WriteFile(plan, again, 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	errb.Reset()
	if code := run([]string{"apply", plan, "--state", filepath.Join(dir, "again")}, nil, &out, &errb); code != exitOK {
		t.Fatalf("apply with a new state: exit %d\n%s%s", code, out.String(), errb.String())
	}
	for _, id := range []string{"import[guest-9999]", "import[host-10000]", "import[arbiter-10000]"} {
		errb.Reset()
		var lb bytes.Buffer
		if code := run([]string{"logs", id, "--state", filepath.Join(dir, "again")}, nil, &lb, &errb); code != exitOK ||
			!strings.Contains(lb.String(), "already holds this archive") {
			t.Errorf("logs %s: exit %d, want the archive already installed:\n%s%s", id, code, lb.String(), errb.String())
		}
	}
}

// BenchmarkQuickstartReapply times an apply of the finished quickstart:
// every step already done, nothing run (the figure TestQuickstart no
// longer asserts).
func BenchmarkQuickstartReapply(b *testing.B) {
	dir := b.TempDir()
	copyTree(b, filepath.Join(examplesDir, "quickstart"), dir)
	plan, state := filepath.Join(dir, "plan.yaml"), filepath.Join(dir, ".planrun")
	var out, errb bytes.Buffer
	if code := run([]string{"apply", plan, "--state", state}, nil, &out, &errb); code != exitOK {
		b.Fatalf("apply: exit %d\n%s%s", code, out.String(), errb.String())
	}
	for b.Loop() {
		out.Reset()
		errb.Reset()
		if code := run([]string{"apply", plan, "--state", state}, nil, &out, &errb); code != exitOK ||
			!strings.Contains(out.String()+errb.String(), "18 step(s) already done") {
			b.Fatalf("apply again: exit %d\n%s%s", code, out.String(), errb.String())
		}
	}
}

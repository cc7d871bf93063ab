package plan

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/planrun/planrun/plan/plantest"
)

// testEnv is the environment the tests load plans with.
var testEnv = map[string]string{"TOKEN": "s3cret", "REGION": "eu"}

func getenv(name string) (string, bool) {
	v, ok := testEnv[name]
	return v, ok
}

// writeFiles writes files into a temporary directory and makes it the
// working directory, so positions read "plan.yaml:1:1".
func writeFiles(t *testing.T, files map[string]string) {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
}

// load loads plan.yaml (and any other plan files given) from files.
func load(t *testing.T, files map[string]string, plans ...string) (*Plan, error) {
	t.Helper()
	writeFiles(t, files)
	if len(plans) == 0 {
		plans = []string{"plan.yaml"}
	}
	return Load(plans, Options{Registry: plantest.Registry(), Getenv: getenv})
}

// mustLoad loads a plan that must be valid.
func mustLoad(t *testing.T, files map[string]string, plans ...string) *Plan {
	t.Helper()
	p, err := load(t, files, plans...)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return p
}

// errorLines returns each problem of err as "file:line:col: message".
func errorLines(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var es Errors
	if !errors.As(err, &es) {
		t.Fatalf("error %v (%T) is not plan.Errors", err, err)
	}
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Error()
	}
	return out
}

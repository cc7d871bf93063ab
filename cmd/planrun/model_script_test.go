package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// fixtureSrc is the real FATE 1.4.2 model data copied into the repository.
const fixtureSrc = "../../fate/testdata/fate-serving-1.4.2"

// TestModelScripts runs the `planrun model` stories in testdata/model with
// the FATE 1.4.2 fixture copied to $WORK/cache (a model_local_cache).
func TestModelScripts(t *testing.T) {
	if _, err := os.Stat(fixtureSrc); err != nil {
		t.Skip("FATE 1.4.2 fixture not found")
	}
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/model",
		RequireExplicitExec: true,
		Setup: func(e *testscript.Env) error {
			e.Setenv("NO_COLOR", "1")
			return os.CopyFS(filepath.Join(e.WorkDir, "cache"), os.DirFS(fixtureSrc))
		},
	})
}

// TestModelExitCodes checks the exit code of each kind of failure.
func TestModelExitCodes(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(filepath.Join(dir, "cache"), os.DirFS(fixtureSrc)); err != nil {
		t.Skip("FATE 1.4.2 fixture not found:", err)
	}
	cfg := filepath.Join(dir, "migrate_model.json")
	os.WriteFile(cfg, []byte(`{"job_parameters": {}, "role": {"guest": [9999], "arbiter": [10000], "host": [10000]},
	 "execute_party": {"guest": [9999], "host": [10000]}, "migrate_initiator": {"role": "guest", "party_id": 99},
	 "migrate_role": {"guest": [99], "arbiter": [100], "host": [100]},
	 "model_id": "arbiter-10000#guest-9999#host-10000#model", "model_version": "2020080416153238910324"}`), 0o644)
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"role": {"guest": ["9999"]}}`), 0o644)
	guest := filepath.Join(dir, "cache", "guest#9999#arbiter-10000#guest-9999#host-10000#model")
	var stderr bytes.Buffer
	if code := run([]string{"model", "migrate", "--config", cfg, guest, filepath.Join(dir, "done")}, strings.NewReader(""), io.Discard, &stderr); code != exitOK {
		t.Fatalf("migrate: exit %d: %s", code, stderr.String())
	}
	migrated := filepath.Join(dir, "done", "guest#99#arbiter-100#guest-99#host-100#model_2020080416153238910324.zip")
	tests := map[string]struct {
		args []string
		code int
	}{
		"inspect ok":              {[]string{"model", "inspect", guest}, exitOK},
		"inspect missing":         {[]string{"model", "inspect", filepath.Join(dir, "nope")}, exitStepFailed},
		"inspect no path":         {[]string{"model", "inspect"}, exitUsage},
		"migrate without config":  {[]string{"model", "migrate", guest, dir}, exitUsage},
		"migrate bad config":      {[]string{"model", "migrate", "--config", bad, guest, dir}, exitUsage},
		"migrate bad party":       {[]string{"model", "migrate", "--config", cfg, "--party", "guest", guest, dir}, exitUsage},
		"migrate bad compat":      {[]string{"model", "migrate", "--config", cfg, "--compat", "x", guest, dir}, exitUsage},
		"migrate wrong party":     {[]string{"model", "migrate", "--config", cfg, "--party", "guest:1", guest, dir}, exitStepFailed},
		"migrate ok":              {[]string{"model", "migrate", "--config", cfg, guest, filepath.Join(dir, "out")}, exitOK},
		"verify residue":          {[]string{"model", "verify", "--config", cfg, guest}, exitStepFailed},
		"verify clean":            {[]string{"model", "verify", "--config", cfg, migrated}, exitOK},
		"verify not a model":      {[]string{"model", "verify", "--config", cfg, filepath.Join(dir, "done")}, exitStepFailed},
		"verify bad config":       {[]string{"model", "verify", "--config", bad, guest}, exitUsage},
		"migrate missing src":     {[]string{"model", "migrate", "--config", cfg, filepath.Join(dir, "nope"), dir}, exitStepFailed},
		"migrate cache, no party": {[]string{"model", "migrate", "--config", cfg, "--party", "local:1", filepath.Join(dir, "cache"), dir}, exitStepFailed},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(tc.args, strings.NewReader(""), &out, &errb)
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, out.String(), errb.String())
			}
		})
	}
}

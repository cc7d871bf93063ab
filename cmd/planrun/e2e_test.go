package main

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/planrun/planrun/fate/sample"
)

// TestEndToEnd runs the stories in testdata/e2e against the real examples:
// each story starts in a copy of examples/batch whose models (the 50
// versions models.csv lists, guest 9999 and host 10000 each) are written by
// fate/sample exactly as make-models.sh writes them.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end stories skipped in -short mode")
	}
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/e2e",
		RequireExplicitExec: true,
		Setup: func(e *testscript.Env) error {
			e.Setenv("NO_COLOR", "1")
			return setupBatch(e.WorkDir)
		},
	})
}

// setupBatch copies the batch example into dir and writes its models.
func setupBatch(dir string) error {
	src := filepath.Join(examplesDir, "batch")
	for _, name := range []string{"plan.yaml", "models.csv"} {
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return err
		}
	}
	f, err := os.Open(filepath.Join(src, "models.csv"))
	if err != nil {
		return err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return err
	}
	parties, err := sample.ParseParties("guest:9999,host:10000")
	if err != nil {
		return err
	}
	cache := filepath.Join(dir, "clusters", "old", "model_local_cache")
	seen := map[string]bool{}
	for _, row := range rows[1:] {
		version := row[1]
		if seen[version] {
			continue
		}
		seen[version] = true
		seed, err := strconv.ParseUint(version[len(version)-4:], 10, 64)
		if err != nil {
			return err
		}
		if _, err := sample.Write(cache, sample.Options{Parties: parties, Version: version, Seed: seed}); err != nil {
			return err
		}
	}
	return nil
}

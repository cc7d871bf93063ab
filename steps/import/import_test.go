package modelimport_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/planrun/planrun/fate"
	"github.com/planrun/planrun/fate/flow/flowtest"
	"github.com/planrun/planrun/hosts"
	"github.com/planrun/planrun/steps"
	modelimport "github.com/planrun/planrun/steps/import"
)

const (
	modelID = "arbiter-100#guest-99#host-100#model"
	version = "20220101000000000000"
)

var roles = map[string][]int64{"guest": {99}, "host": {100}, "arbiter": {100}}

func archive(t *testing.T, dir, param string) string {
	t.Helper()
	m := flowtest.Model{Role: "guest", PartyID: 99, ModelID: modelID, ModelVersion: version, Roles: roles,
		Initiator: fate.Party{Role: "guest", PartyID: 99}}
	if param != "" {
		m.Extra = map[string][]byte{"variables/data/dataio_0/dataio/DataIOParam": []byte(param)}
	}
	p := filepath.Join(dir, "guest#99#"+modelID+"_"+version+".zip")
	if err := os.WriteFile(p, flowtest.ZipFiles(flowtest.ModelFiles(m)), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func newEnv(t *testing.T, inv map[string]hosts.Spec) *steps.Env {
	dir := t.TempDir()
	pool := hosts.NewPool(inv, hosts.PoolOptions{BaseDir: dir})
	t.Cleanup(func() { pool.Close() })
	return &steps.Env{StepID: "import-guest", Attempt: 1, BaseDir: dir, WorkDir: filepath.Join(dir, "work"),
		Hosts: pool, Log: io.Discard, Progress: steps.NopProgress{}}
}

func flowCfg(file string) *modelimport.Config {
	return &modelimport.Config{Engine: "flow", Host: "new-guest", File: file, Role: "guest", PartyID: 99,
		ModelID: modelID, ModelVersion: version}
}

func TestFlowImportResumeSafe(t *testing.T) {
	for _, gen := range []flowtest.Generation{flowtest.Gen19, flowtest.Gen15} {
		t.Run(gen.String(), func(t *testing.T) {
			srv := flowtest.New(t, flowtest.Options{Generation: gen})
			store := t.TempDir()
			// The archive lives on another host ("store", a local stand-in
			// with its own root): it is streamed from there.
			env := newEnv(t, map[string]hosts.Spec{"new-guest": {Flow: srv.URL}, "store": {Root: store}})
			zip := archive(t, store, "")
			k := modelimport.New()
			cfg := flowCfg("store:" + filepath.Base(zip))
			if errs := k.Validate(cfg); len(errs) > 0 {
				t.Fatal(errs)
			}
			ctx := context.Background()
			out, err := k.Run(ctx, env, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if (gen == flowtest.Gen19) != (out["job_id"] != "") || out["party_model_id"] != "guest#99#"+modelID {
				t.Errorf("outputs = %v", out)
			}
			// Again: the server says it exists; same content means done.
			if _, err := k.Run(ctx, env, cfg); err != nil {
				t.Fatalf("second run: %v", err)
			}
			if srv.Imported() != 1 {
				t.Errorf("imported %d times", srv.Imported())
			}
			pr, err := k.Probe(ctx, env, cfg, out)
			if err != nil || !pr.Done {
				t.Errorf("probe = %+v, %v", pr, err)
			}
			absent := flowCfg(cfg.File)
			absent.ModelVersion = "20990101000000000000"
			why := "the FATE Flow of new-guest has no model guest#99#" + modelID + " 20990101000000000000"
			if pr, err := k.Probe(ctx, env, absent, nil); err != nil || pr.Done || pr.Why != why {
				t.Errorf("probe of a model the server does not have = %+v, %v; want why %q", pr, err, why)
			}
			// A different model under the same id and version is refused.
			other := archive(t, t.TempDir(), "other-params")
			_, err = k.Run(ctx, env, flowCfg(other))
			if err == nil || !strings.Contains(err.Error(), "different content (variables/data/dataio_0/dataio/DataIOParam differs): set force: true") {
				t.Errorf("different model: %v", err)
			}
			forced := flowCfg(other)
			forced.Force = true
			_, err = k.Run(ctx, env, forced)
			if gen == flowtest.Gen19 && (err != nil || srv.Imported() != 2) {
				t.Errorf("forced on 1.9+: %v (imported %d)", err, srv.Imported())
			}
			if gen == flowtest.Gen15 && (err == nil || !strings.Contains(err.Error(), "remove the model on new-guest first")) {
				t.Errorf("forced on 1.5: %v", err)
			}
		})
	}
}

func TestFlowImportRefusesWrongArchive(t *testing.T) {
	srv := flowtest.New(t, flowtest.Options{})
	env := newEnv(t, map[string]hosts.Spec{"new-guest": {Flow: srv.URL}})
	cfg := flowCfg(archive(t, t.TempDir(), ""))
	cfg.SHA256 = strings.Repeat("a", 64)
	_, err := modelimport.New().Run(context.Background(), env, cfg)
	if err == nil || !strings.Contains(err.Error(), "want "+cfg.SHA256) || srv.Count("import") != 0 {
		t.Errorf("err = %v, requests %d", err, srv.Count("import"))
	}
}

// TestFlowImportRefusesUnsafeArchive: FATE Flow unpacks what it is sent,
// so the archive's entries are checked first, as a native import's are.
func TestFlowImportRefusesUnsafeArchive(t *testing.T) {
	srv := flowtest.New(t, flowtest.Options{})
	env := newEnv(t, map[string]hosts.Spec{"new-guest": {Flow: srv.URL}})
	files := flowtest.ModelFiles(flowtest.Model{Role: "guest", PartyID: 99, ModelID: modelID, ModelVersion: version, Roles: roles,
		Initiator: fate.Party{Role: "guest", PartyID: 99}})
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, data := range files {
		w, _ := zw.Create(name)
		w.Write(data)
	}
	h := &zip.FileHeader{Name: "variables/data/link"}
	h.SetMode(fs.ModeSymlink | 0o777)
	w, _ := zw.CreateHeader(h)
	w.Write([]byte("/etc/passwd"))
	zw.Close()
	p := filepath.Join(t.TempDir(), "guest#99#"+modelID+"_"+version+".zip")
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := modelimport.New().Run(context.Background(), env, flowCfg(p))
	want := `entry "variables/data/link": symlinks are not allowed (not sent to FATE Flow)`
	if err == nil || !strings.Contains(err.Error(), want) || srv.Count("import") != 0 {
		t.Errorf("err = %v, requests %d; want %q and none", err, srv.Count("import"), want)
	}
}

func TestNativeImport(t *testing.T) {
	cache := t.TempDir()
	env := newEnv(t, map[string]hosts.Spec{"new-guest": {FateBase: filepath.Dir(cache) + "/" + filepath.Base(cache) + "/fate"}})
	zip := archive(t, t.TempDir(), "")
	k := modelimport.New()
	cfg := &modelimport.Config{Engine: "native", Host: "new-guest", File: zip, Role: "guest", PartyID: 99}
	ctx := context.Background()
	out, err := k.Run(ctx, env, cfg)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(cache, "fate", "model_local_cache", "guest#99#"+modelID, version)
	if out["dir"] != dir || out["model_id"] != modelID || out["model_version"] != version || out["job_id"] != "" {
		t.Errorf("outputs = %v", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "variables/data/pipeline/pipeline/Pipeline")); err != nil {
		t.Fatal(err)
	}
	pr, err := k.Probe(ctx, env, cfg, out)
	if err != nil || !pr.Done {
		t.Errorf("probe = %+v, %v", pr, err)
	}
	if _, err := k.Run(ctx, env, cfg); err != nil {
		t.Errorf("re-run of the same archive: %v", err)
	}
	other := &modelimport.Config{Engine: "native", Host: "new-guest", File: archive(t, t.TempDir(), "x"), Role: "guest", PartyID: 99}
	if _, err := k.Run(ctx, env, other); err == nil || !strings.Contains(err.Error(), "local cache already existed (set force: true") {
		t.Errorf("other archive: %v", err)
	}
	if pr, _ := k.Probe(ctx, env, other, nil); pr.Done {
		t.Errorf("probe done for another archive")
	}
	other.Force = true
	if _, err := k.Run(ctx, env, other); err != nil {
		t.Errorf("forced: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "variables/data/dataio_0/dataio/DataIOParam")); string(b) != "x" {
		t.Errorf("force did not replace the model: %q", b)
	}
}

func TestNativeImportFinishesItsInterruptedCopy(t *testing.T) {
	cache := filepath.Join(t.TempDir(), "cache")
	env := newEnv(t, map[string]hosts.Spec{"new-guest": {}})
	zip := archive(t, t.TempDir(), "")
	k := modelimport.New()
	cfg := &modelimport.Config{Engine: "native", Host: "new-guest", File: zip, Role: "guest", PartyID: 99, CacheDir: cache,
		ModelID: modelID, ModelVersion: version}
	if _, err := k.Run(context.Background(), env, cfg); err != nil {
		t.Fatal(err)
	}
	// Simulate a crash mid-copy: marker back to "copying", a file missing.
	mp := filepath.Join(filepath.Dir(cache), ".planrun-imports", "guest#99#"+modelID, version+".json")
	b, err := os.ReadFile(mp)
	if err != nil {
		t.Fatalf("marker: %v", err)
	}
	if entries, _ := os.ReadDir(filepath.Join(cache, "guest#99#"+modelID)); len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("model_local_cache/<party_model_id> holds %v, want only the version directory", names)
	}
	os.WriteFile(mp, []byte(strings.Replace(string(b), `"done"`, `"copying"`, 1)), 0o644)
	os.Remove(filepath.Join(cache, "guest#99#"+modelID, version, "variables/data/dataio_0/dataio/DataIOMeta"))
	if pr, _ := k.Probe(context.Background(), env, cfg, nil); pr.Done || !strings.HasSuffix(pr.Why, "on new-guest is missing or unfinished") {
		t.Errorf("probe of an unfinished copy: %+v", pr)
	}
	if _, err := k.Run(context.Background(), env, cfg); err != nil {
		t.Fatalf("resume of own copy: %v", err)
	}
	if pr, _ := k.Probe(context.Background(), env, cfg, nil); !pr.Done {
		t.Errorf("probe not done after finishing")
	}
}

// TestNativeImportMarkerTempNotFollowed: a link planted at the marker's
// temp name (which anyone who can write the directory beside
// model_local_cache can predict) is replaced, not written through.
func TestNativeImportMarkerTempNotFollowed(t *testing.T) {
	base := t.TempDir()
	cache := filepath.Join(base, "cache")
	env := newEnv(t, map[string]hosts.Spec{"new-guest": {}})
	cfg := &modelimport.Config{Engine: "native", Host: "new-guest", File: archive(t, t.TempDir(), ""), Role: "guest", PartyID: 99,
		CacheDir: cache, ModelID: modelID, ModelVersion: version}
	victim := filepath.Join(base, "victim")
	if err := os.WriteFile(victim, []byte("precious\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	mp := filepath.Join(base, ".planrun-imports", "guest#99#"+modelID, version+".json")
	if err := os.MkdirAll(filepath.Dir(mp), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, hosts.TempName(mp)); err != nil {
		t.Fatal(err)
	}
	if _, err := modelimport.New().Run(context.Background(), env, cfg); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(victim); err != nil || string(b) != "precious\n" {
		t.Errorf("victim = %q, %v: the marker was written through the link", b, err)
	}
	if fi, err := os.Lstat(mp); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("marker: %v, %v; want a regular file", fi, err)
	}
}

func TestValidate(t *testing.T) {
	errs := modelimport.New().Validate(&modelimport.Config{Engine: "flow", CacheDir: "/x", SHA256: "zz", BWLimit: "fast"})
	var got []string
	for _, e := range errs {
		got = append(got, e.Path)
	}
	if strings.Join(got, ",") != "model_id,model_version,cache_dir,host,file,role,party_id,sha256,bwlimit" {
		t.Errorf("errs = %v", errs)
	}
}

// TestImportBWLimit: both engines move the archive's bytes at bwlimit (a
// 300 KiB model at 128 KiB/s takes over 2 s) and import it whole.
func TestImportBWLimit(t *testing.T) {
	noise := make([]byte, 300<<10)
	rand.NewChaCha8([32]byte{2}).Read(noise)
	for _, engine := range []string{"native", "flow"} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			cache := filepath.Join(t.TempDir(), "fate")
			srv := flowtest.New(t, flowtest.Options{})
			env := newEnv(t, map[string]hosts.Spec{"new-guest": {Flow: srv.URL, FateBase: cache}})
			cfg := flowCfg(archive(t, t.TempDir(), string(noise)))
			cfg.Engine, cfg.BWLimit = engine, "128KiB/s"
			if errs := modelimport.New().Validate(cfg); len(errs) > 0 {
				t.Fatal(errs)
			}
			start := time.Now()
			if _, err := modelimport.New().Run(context.Background(), env, cfg); err != nil {
				t.Fatal(err)
			}
			if took, min := time.Since(start), 2*time.Second; took < min {
				t.Errorf("300 KiB at 128 KiB/s took %v, want at least %v", took, min)
			}
			dir := filepath.Join(cache, "model_local_cache", "guest#99#"+modelID, version)
			if engine == "flow" {
				dir = filepath.Join(srv.CacheDir(), "guest#99#"+modelID, version)
			}
			if b, _ := os.ReadFile(filepath.Join(dir, "variables/data/dataio_0/dataio/DataIOParam")); !bytes.Equal(b, noise) {
				t.Errorf("the imported model's DataIOParam is not the archive's (%d bytes)", len(b))
			}
		})
	}
}

// TestNativeImportDrift: the probe and a later run check every file
// planrun installed. A file changed or removed behind planrun's back
// makes the probe say what and where, and the run installs the model
// again; a file added (FATE may add its own; and a link out of the tree
// or a fifo, which a copy would refuse) is not a change; a marker
// from before planrun listed the files checks none.
func TestNativeImportDrift(t *testing.T) {
	const param = "variables/data/dataio_0/dataio/DataIOParam"
	for _, tc := range []struct {
		name    string
		tamper  func(t *testing.T, dir, marker string)
		why     string // the probe's Why; "" = still done
		again   bool   // the run installs it again
		restore bool
	}{
		{name: "changed", tamper: func(t *testing.T, dir, _ string) {
			os.WriteFile(filepath.Join(dir, param), []byte("edited"), 0o644)
		}, why: `"` + param + `" has changed`, again: true, restore: true},
		{name: "removed", tamper: func(t *testing.T, dir, _ string) {
			os.Remove(filepath.Join(dir, "variables/data/dataio_0/dataio/DataIOMeta"))
		}, why: `"variables/data/dataio_0/dataio/DataIOMeta" was removed`, again: true, restore: true},
		{name: "replaced by a link to the same bytes", tamper: func(t *testing.T, dir, _ string) {
			copyOf := filepath.Join(t.TempDir(), "param")
			b, _ := os.ReadFile(filepath.Join(dir, param))
			os.WriteFile(copyOf, b, 0o644)
			os.Remove(filepath.Join(dir, param))
			if err := os.Symlink(copyOf, filepath.Join(dir, param)); err != nil {
				t.Fatal(err)
			}
		}, why: `"` + param + `" is a link now, not the file installed`, again: true, restore: true},
		{name: "replaced by a directory", tamper: func(t *testing.T, dir, _ string) {
			os.Remove(filepath.Join(dir, param))
			os.Mkdir(filepath.Join(dir, param), 0o755)
		}, why: `"` + param + `" is a directory now`, again: true, restore: true},
		{name: "added", tamper: func(t *testing.T, dir, _ string) {
			os.WriteFile(filepath.Join(dir, "variables/data/extra.json"), []byte("{}"), 0o644)
		}},
		{name: "link out of the tree and fifo added", tamper: func(t *testing.T, dir, _ string) {
			if err := os.Symlink("/etc/hostname", filepath.Join(dir, "variables/data/outside")); err != nil {
				t.Fatal(err)
			}
			if err := syscall.Mkfifo(filepath.Join(dir, "variables/fifo"), 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "marker without files", tamper: func(t *testing.T, dir, marker string) {
			b, _ := os.ReadFile(marker)
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil || m["files"] == nil {
				t.Fatalf("marker %s: %v, files %v", b, err, m["files"])
			}
			delete(m, "files")
			b, _ = json.Marshal(m)
			os.WriteFile(marker, b, 0o644)
			os.WriteFile(filepath.Join(dir, param), []byte("edited"), 0o644)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cache := filepath.Join(t.TempDir(), "cache")
			env := newEnv(t, map[string]hosts.Spec{"new-guest": {}})
			var log bytes.Buffer
			env.Log = &log
			k := modelimport.New()
			cfg := &modelimport.Config{Engine: "native", Host: "new-guest", File: archive(t, t.TempDir(), ""),
				Role: "guest", PartyID: 99, CacheDir: cache}
			ctx := context.Background()
			out, err := k.Run(ctx, env, cfg)
			if err != nil {
				t.Fatal(err)
			}
			dir := out["dir"].(string)
			want, _ := os.ReadFile(filepath.Join(dir, param))
			marker := filepath.Join(filepath.Dir(cache), ".planrun-imports", "guest#99#"+modelID, version+".json")
			tc.tamper(t, dir, marker)

			pr, err := k.Probe(ctx, env, cfg, out)
			wantWhy := ""
			if tc.why != "" {
				wantWhy = "in " + dir + " on new-guest, " + tc.why
			}
			if err != nil || pr.Done != (tc.why == "") || pr.Why != wantWhy {
				t.Errorf("probe = %+v, %v; want done %v, why %q", pr, err, tc.why == "", wantWhy)
			}
			log.Reset()
			if _, err := k.Run(ctx, env, cfg); err != nil {
				t.Fatalf("run after tampering: %v", err)
			}
			if again := strings.Contains(log.String(), "since: installing it again"); again != tc.again {
				t.Errorf("installed again = %v, want %v; log:\n%s", again, tc.again, log.String())
			}
			if tc.restore {
				if got, _ := os.ReadFile(filepath.Join(dir, param)); !bytes.Equal(got, want) {
					t.Errorf("%s after the run = %q, want %q", param, got, want)
				}
				if fi, err := os.Lstat(filepath.Join(dir, param)); err != nil || !fi.Mode().IsRegular() {
					t.Errorf("%s after the run: %v, %v; want a regular file", param, fi, err)
				}
				if pr, err := k.Probe(ctx, env, cfg, out); err != nil || !pr.Done {
					t.Errorf("probe after the run = %+v, %v", pr, err)
				}
			}
		})
	}
}

// TestFlowImportFilesGone: the files of a model FATE Flow imported are
// deleted from its model_local_cache. 1.9+ still lists the model in its
// database: the import is refused as existing and the export finds
// nothing; the error says so and what to do, and force imports it again.
// 1.5-1.8 only look at the files, and import it again.
func TestFlowImportFilesGone(t *testing.T) {
	for _, gen := range []flowtest.Generation{flowtest.Gen19, flowtest.Gen15} {
		t.Run(gen.String(), func(t *testing.T) {
			srv := flowtest.New(t, flowtest.Options{Generation: gen})
			env := newEnv(t, map[string]hosts.Spec{"new-guest": {Flow: srv.URL}})
			cfg := flowCfg(archive(t, t.TempDir(), ""))
			k := modelimport.New()
			ctx := context.Background()
			if _, err := k.Run(ctx, env, cfg); err != nil {
				t.Fatal(err)
			}
			if err := os.RemoveAll(filepath.Join(srv.CacheDir(), "guest#99#"+modelID, version)); err != nil {
				t.Fatal(err)
			}
			if pr, err := k.Probe(ctx, env, cfg, nil); err != nil || pr.Done {
				t.Errorf("probe with the files gone = %+v, %v", pr, err)
			}
			_, err := k.Run(ctx, env, cfg)
			want := "its database lists the model, whose files in model_local_cache are gone; set force: true to import it again"
			switch {
			case gen == flowtest.Gen19 && (err == nil || !strings.Contains(err.Error(), want)):
				t.Fatalf("import with the files gone: %v; want %q", err, want)
			case gen == flowtest.Gen19:
				cfg.Force = true
				_, err = k.Run(ctx, env, cfg)
			}
			if err != nil {
				t.Fatalf("import again (force %v): %v", cfg.Force, err)
			}
			if pr, err := k.Probe(ctx, env, cfg, nil); err != nil || !pr.Done {
				t.Errorf("probe after importing again = %+v, %v", pr, err)
			}
		})
	}
}

package collect_test

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/planrun/planrun/fate"
	"github.com/planrun/planrun/fate/flow/flowtest"
	"github.com/planrun/planrun/hosts"
	"github.com/planrun/planrun/steps"
	"github.com/planrun/planrun/steps/collect"
)

func env(t *testing.T) *steps.Env {
	dir := t.TempDir()
	pool := hosts.NewPool(nil, hosts.PoolOptions{BaseDir: dir})
	t.Cleanup(func() { pool.Close() })
	return &steps.Env{StepID: "collect-guest", Attempt: 1, BaseDir: dir, WorkDir: filepath.Join(dir, "work"),
		Hosts: pool, Log: io.Discard, Progress: steps.NopProgress{}}
}

func modelZip() []byte {
	return flowtest.ZipFiles(flowtest.ModelFiles(flowtest.Model{Role: "guest", PartyID: 99, ModelID: "m", ModelVersion: "1",
		Roles: map[string][]int64{"guest": {99}, "host": {100}}, Initiator: fate.Party{Role: "guest", PartyID: 99}}))
}

func rawZip(entries map[string]string) []byte {
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for n, c := range entries {
		f, _ := w.Create(n)
		f.Write([]byte(c))
	}
	w.Close()
	return b.Bytes()
}

// zipOf writes entries in order (names may repeat); a content starting
// with "->" makes the entry a symbolic link to the rest.
func zipOf(entries ...[2]string) []byte {
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e[0], Method: zip.Deflate}
		body := e[1]
		if target, ok := strings.CutPrefix(body, "->"); ok {
			h.SetMode(fs.ModeSymlink | 0o777)
			body = target
		}
		f, _ := w.CreateHeader(h)
		f.Write([]byte(body))
	}
	w.Close()
	return b.Bytes()
}

func TestCollect(t *testing.T) {
	good := modelZip()
	// A flipped byte inside the deflated data: the directory reads, the CRC fails.
	corrupt := append([]byte(nil), good...)
	i := bytes.Index(corrupt, []byte("variables/data/dataio_0/dataio/DataIOParam")) + len("variables/data/dataio_0/dataio/DataIOParam")
	corrupt[i+2] ^= 0xff
	cases := map[string]struct {
		data   []byte
		expect []string
		err    string
	}{
		"whole model zip":  {data: good},
		"truncated":        {data: good[:len(good)-30], err: "not a valid zip file"},
		"corrupt entry":    {data: corrupt, err: "entry variables/data/dataio_0/dataio/DataIOParam"},
		"missing pipeline": {data: rawZip(map[string]string{"define/define_meta.yaml": "x"}), err: "missing variables/data/pipeline/pipeline/Pipeline"},
		"custom expect":    {data: rawZip(map[string]string{"a/b": "x"}), expect: []string{"a/b", "c"}, err: "missing c"},
		"path traversal":   {data: rawZip(map[string]string{"../evil": "x"}), err: `entry "../evil": ".." in name (path traversal)`},
		"symlink entry":    {data: zipOf([2]string{"define/define_meta.yaml", "->/etc/passwd"}), err: `entry "define/define_meta.yaml": symlinks are not allowed`},
		"entry twice":      {data: zipOf([2]string{"a", "x"}, [2]string{"a", "y"}), err: `entry "a": appears twice`},
		"file and directory": {data: zipOf([2]string{"variables", "x"}, [2]string{"variables/data/x", "y"}),
			err: `entry "variables/data/x": "variables" is a file in this archive, not a directory`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			e := env(t)
			src := filepath.Join(t.TempDir(), "guest#99#m_1.zip")
			os.WriteFile(src, tc.data, 0o644)
			k := collect.New()
			cfg := &collect.Config{From: "local:" + src, Expect: tc.expect}
			if errs := k.Validate(cfg); len(errs) > 0 {
				t.Fatal(errs)
			}
			out, err := k.Run(context.Background(), e, cfg)
			dst := filepath.Join(e.WorkDir, "collect-guest", "guest#99#m_1.zip")
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), "collect local:") {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				if _, serr := os.Stat(dst); serr == nil {
					t.Errorf("a broken archive was left at %s", dst)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// Named relative to the plan's directory, which holds the
			// work directory.
			rel := "work/collect-guest/guest#99#m_1.zip"
			if out["path"] != rel || out["sha256"] != sha(tc.data) {
				t.Errorf("outputs = %v", out)
			}
			pr, err := k.Probe(context.Background(), e, cfg, out)
			if err != nil || !pr.Done || pr.Outputs["sha256"] != out["sha256"] {
				t.Errorf("probe after run = %+v, %v", pr, err)
			}
			// A later run (another work directory) finds the copy where
			// the last success put it; without it, not done.
			later := *e
			later.WorkDir = filepath.Join(t.TempDir(), "work")
			if pr, err := k.Probe(context.Background(), &later, cfg, out); err != nil || !pr.Done || pr.Outputs["path"] != rel {
				t.Errorf("probe in a later run = %+v, %v", pr, err)
			}
			gone := filepath.Join(later.WorkDir, "collect-guest", "guest#99#m_1.zip") + " is gone"
			if pr, _ := k.Probe(context.Background(), &later, cfg, nil); pr.Done || pr.Why != gone {
				t.Errorf("probe in a later run, no outputs recorded: %+v, want why %q", pr, gone)
			}
			os.WriteFile(src, modelZipOther(), 0o644) // the source changed
			differs := dst + " differs from local:" + src
			if pr, _ := k.Probe(context.Background(), e, cfg, out); pr.Done || pr.Why != differs {
				t.Errorf("probe after the source changed: %+v, want why %q", pr, differs)
			}
			os.Remove(src)
			unread := "its source local:" + src + " cannot be read: "
			if pr, _ := k.Probe(context.Background(), e, cfg, out); pr.Done || !strings.HasPrefix(pr.Why, unread) {
				t.Errorf("probe after the source went: %+v, want why %q...", pr, unread)
			}
		})
	}
}

func modelZipOther() []byte {
	return flowtest.ZipFiles(flowtest.ModelFiles(flowtest.Model{Role: "guest", PartyID: 98, ModelID: "m", ModelVersion: "1",
		Roles: map[string][]int64{"guest": {98}, "host": {100}}, Initiator: fate.Party{Role: "guest", PartyID: 98}}))
}

func TestValidate(t *testing.T) {
	errs := collect.New().Validate(&collect.Config{From: "old-guest:", To: "old-guest:/x", BWLimit: "fast"})
	if len(errs) != 3 || errs[0].Path != "from" || errs[1].Path != "to" || errs[2].Path != "bwlimit" {
		t.Errorf("errs = %v", errs)
	}
}

// TestCollectBWLimit: the step's bwlimit reaches the copy (only its lower
// bound on the time taken is checked).
func TestCollectBWLimit(t *testing.T) {
	noise := make([]byte, 300<<10)
	rand.NewChaCha8([32]byte{1}).Read(noise)
	src := filepath.Join(t.TempDir(), "guest#99#m_1.zip")
	os.WriteFile(src, rawZip(map[string]string{"a/b": string(noise)}), 0o644)
	start := time.Now()
	_, err := collect.New().Run(context.Background(), env(t), &collect.Config{From: "local:" + src, Expect: []string{"a/b"}, BWLimit: "128KiB/s"})
	if err != nil {
		t.Fatal(err)
	}
	if took, min := time.Since(start), 2*time.Second; took < min {
		t.Errorf("300 KiB at 128 KiB/s took %v, want at least %v", took, min)
	}
}

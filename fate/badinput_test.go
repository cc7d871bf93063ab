package fate

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeTestZip writes a zip with the given entries (name → content; a
// name ending in "/" is a directory, a value starting with "->" a symlink).
func writeTestZip(t testing.TB, p string, entries [][2]string) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e[0], Method: zip.Deflate}
		if target, ok := strings.CutPrefix(e[1], "->"); ok {
			h.SetMode(fs.ModeSymlink | 0o777)
			e[1] = target
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(e[1]))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// zipModelDir zips a model directory as make_archive does (our writer).
func zipModelDir(t testing.TB, dir, dst string) {
	t.Helper()
	m, err := OpenModel(dir, ZipLimits{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	var entries []archiveEntry
	for _, d := range m.dirs {
		entries = append(entries, archiveEntry{name: d + "/"})
	}
	for _, f := range m.files {
		data, err := m.ReadFile(f.path)
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, archiveEntry{name: f.path, data: data})
	}
	if _, err := writeFileAtomic(context.Background(), dst, func(w io.Writer) error {
		return writeArchive(context.Background(), w, archiveOrder(entries), 2)
	}); err != nil {
		t.Fatal(err)
	}
}

func TestMigrateBadInput(t *testing.T) {
	good := testModel{fateVersion: "1.11.4", dslVersion: 2, jsonTwins: true}
	tests := map[string]struct {
		setup  func(t *testing.T, dir string) (src string)
		config string
		party  string
		limits ZipLimits
		want   []string // substrings of the error
	}{
		"zip with ../ entry": {
			setup: func(t *testing.T, dir string) string {
				p := filepath.Join(dir, "evil.zip")
				writeTestZip(t, p, [][2]string{{"define/define_meta.yaml", "x"}, {"../../etc/evil", "boom"}})
				return p
			},
			want: []string{"evil.zip", `entry "../../etc/evil"`, "path traversal"},
		},
		"zip with absolute entry": {
			setup: func(t *testing.T, dir string) string {
				p := filepath.Join(dir, "abs.zip")
				writeTestZip(t, p, [][2]string{{"/tmp/evil", "boom"}})
				return p
			},
			want: []string{`entry "/tmp/evil"`, "absolute path"},
		},
		"zip with backslash traversal": {
			setup: func(t *testing.T, dir string) string {
				p := filepath.Join(dir, "bs.zip")
				writeTestZip(t, p, [][2]string{{`..\..\evil`, "boom"}})
				return p
			},
			want: []string{"backslash"},
		},
		"zip with a symlink": {
			setup: func(t *testing.T, dir string) string {
				p := filepath.Join(dir, "link.zip")
				writeTestZip(t, p, [][2]string{{"pipeline.pb", "->/etc/passwd"}})
				return p
			},
			want: []string{`entry "pipeline.pb"`, "symlinks are not allowed"},
		},
		"zip bomb": {
			setup: func(t *testing.T, dir string) string {
				p := filepath.Join(dir, "bomb.zip")
				writeTestZip(t, p, [][2]string{{"pipeline.pb", strings.Repeat("\x00", 4<<20)}})
				return p
			},
			limits: ZipLimits{MaxBytes: 1 << 20},
			want:   []string{"bomb.zip", "exceeds the limit of 1048576 bytes"},
		},
		"zip bomb within the total limit": {
			setup: func(t *testing.T, dir string) string {
				p := filepath.Join(dir, "ratio.zip")
				writeTestZip(t, p, [][2]string{{"define/define_meta.yaml", "x"}, {"pipeline.pb", strings.Repeat(" ", 17<<20)}})
				return p
			},
			want: []string{"ratio.zip", `entry "pipeline.pb": unpacks to 17825792 bytes from`, "over 200 times its packed size"},
		},
		"zip bomb in many entries just under the entry bound": {
			setup: func(t *testing.T, dir string) string {
				p := filepath.Join(dir, "many.zip")
				writeTestZip(t, p, [][2]string{{"define/define_meta.yaml", "x"},
					{"a", strings.Repeat(" ", 15<<20)}, {"b", strings.Repeat(" ", 15<<20)}})
				return p
			},
			want: []string{"many.zip", "the archive unpacks to 31457281 bytes from", "over 200 times its packed size"},
		},
		"zip with a file that is also a directory": {
			setup: func(t *testing.T, dir string) string {
				p := filepath.Join(dir, "filedir.zip")
				writeTestZip(t, p, [][2]string{{"define", "x"}, {"define/define_meta.yaml", "x"}})
				return p
			},
			want: []string{`entry "define/define_meta.yaml": "define" is a file in this archive, not a directory`},
		},
		"too many entries": {
			setup: func(t *testing.T, dir string) string {
				p := filepath.Join(dir, "many.zip")
				writeTestZip(t, p, [][2]string{{"a", ""}, {"b", ""}, {"c", ""}})
				return p
			},
			limits: ZipLimits{MaxEntries: 2},
			want:   []string{"3 entries exceed the limit of 2"},
		},
		"truncated zip": {
			setup: func(t *testing.T, dir string) string {
				src := good.write(t, dir, "guest", 9999)
				p := filepath.Join(dir, "whole.zip")
				zipModelDir(t, src, p)
				data, _ := os.ReadFile(p)
				cut := filepath.Join(dir, "cut.zip")
				os.WriteFile(cut, data[:len(data)/2], 0o644)
				return cut
			},
			want: []string{"cut.zip", "not a zip archive, or truncated"},
		},
		"missing buffer": {
			setup: func(t *testing.T, dir string) string {
				src := good.write(t, dir, "guest", 9999)
				os.Remove(filepath.Join(src, "variables/data/hetero_lr_0/model/HeteroLogisticRegressionMeta"))
				return src
			},
			want: []string{"missing buffer file listed in define/define_meta.yaml",
				"variables/data/hetero_lr_0/model/HeteroLogisticRegressionMeta (model_proto.hetero_lr_0.model.HeteroLogisticRegressionMeta)"},
		},
		"undecodable buffer": {
			setup: func(t *testing.T, dir string) string {
				src := good.write(t, dir, "guest", 9999)
				os.WriteFile(filepath.Join(src, "variables/data/data_transform_0/model/DataTransformParam"), []byte{0x0a, 0xff, 0x01}, 0o644)
				return src
			},
			want: []string{"variables/data/data_transform_0/model", "DataTransformParam", "does not decode"},
		},
		"undecodable pipeline": {
			setup: func(t *testing.T, dir string) string {
				src := good.write(t, dir, "guest", 9999)
				os.WriteFile(filepath.Join(src, pipelineBuffer), []byte{0x1a, 0x05, 'x'}, 0o644)
				return src
			},
			want: []string{"decode variables/data/pipeline/pipeline/Pipeline as Pipeline"},
		},
		"roles disagree with the config": {
			setup:  func(t *testing.T, dir string) string { return good.write(t, dir, "guest", 9999) },
			config: strings.Replace(strings.Replace(testMigrate, `"host": [10000], "arbiter"`, `"host": [10001], "arbiter"`, 1), `"execute_party": {"guest": [9999], "host": [10000]`, `"execute_party": {"guest": [9999], "host": [10001]`, 1),
			want:   []string{"the model's roles disagree with the config", "variables/data/pipeline/pipeline/Pipeline: train_runtime_conf.role.host: the model has [10000], the config's role.host has [10001]"},
		},
		"party id not an integer": {
			setup:  func(t *testing.T, dir string) string { return good.write(t, dir, "guest", 9999) },
			config: strings.Replace(testMigrate, `"migrate_role": {"guest": [99]`, `"migrate_role": {"guest": ["99"]`, 1),
			want:   []string{"migrate_model.json: migrate_role.guest[0]: party id must be an integer, got a string \"99\""},
		},
		"unmapped party": {
			setup: func(t *testing.T, dir string) string { return good.write(t, dir, "guest", 9999) },
			party: "guest:1234",
			want:  []string{"party guest:1234 asked for, but the model is guest:9999's"},
		},
		"party not in the config": {
			setup: func(t *testing.T, dir string) string { return good.write(t, dir, "local", 1) },
			want:  []string{"config role.local: party local:1 is not in it"},
		},
		"model id differs": {
			setup:  func(t *testing.T, dir string) string { return good.write(t, dir, "guest", 9999) },
			config: strings.Replace(testMigrate, `"model_version": "v1"`, `"model_version": "v0"`, 1),
			want:   []string{`variables/data/pipeline/pipeline/Pipeline: model_version is "v1", the config's model_version is "v0"`},
		},
		"symlink in a model directory": {
			setup: func(t *testing.T, dir string) string {
				src := good.write(t, dir, "guest", 9999)
				if err := os.Symlink("/etc/passwd", filepath.Join(src, "variables/data/hetero_lr_0/model/link")); err != nil {
					t.Skip(err)
				}
				return src
			},
			want: []string{"variables/data/hetero_lr_0/model/link: symlinks are not supported in a model"},
		},
		"two versions": {
			setup: func(t *testing.T, dir string) string {
				src := good.write(t, dir, "guest", 9999)
				os.MkdirAll(filepath.Join(filepath.Dir(src), "v0", "define"), 0o755)
				os.WriteFile(filepath.Join(filepath.Dir(src), "v0", defineMetaPath), nil, 0o644)
				return filepath.Dir(src)
			},
			want: []string{"2 model versions found (v0, v1)"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			src := tc.setup(t, dir)
			before := treeHash(t, dir)
			out := filepath.Join(dir, "out")
			req := MigrateRequest{Src: src, OutDir: out, Limits: tc.limits}
			cfgText := testMigrate
			if tc.config != "" {
				cfgText = tc.config
			}
			cfg, err := ParseMigrateConfig([]byte(cfgText), "migrate_model.json")
			if err == nil {
				req.Config = cfg
				if tc.party != "" {
					p, _ := ParseParty(tc.party)
					req.Role, req.PartyID = p.Role, p.PartyID
				}
				_, err = Migrate(context.Background(), req)
			}
			if err == nil {
				t.Fatal("no error")
			}
			t.Log(err)
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\n does not contain %q", err, w)
				}
			}
			if _, serr := os.Stat(out); !os.IsNotExist(serr) {
				t.Errorf("output directory written: %v", serr)
			}
			if treeHash(t, dir) != before {
				t.Error("the source changed")
			}
		})
	}
}

func TestMigrateRefusesOutputInsideSource(t *testing.T) {
	src := testModel{fateVersion: "1.11.4", dslVersion: 2}.write(t, t.TempDir(), "guest", 9999)
	_, err := Migrate(context.Background(), MigrateRequest{Src: src, OutDir: filepath.Join(src, "out"), Config: mustConfig(t, testMigrate)})
	if err == nil || !strings.Contains(err.Error(), "is inside the source model") {
		t.Fatalf("error = %v", err)
	}
}

// A cancelled migration leaves nothing behind.
func TestMigrateCancelled(t *testing.T) {
	src := testModel{fateVersion: "1.11.4", dslVersion: 2, jsonTwins: true}.write(t, t.TempDir(), "guest", 9999)
	out := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Migrate(ctx, MigrateRequest{Src: src, OutDir: out, Config: mustConfig(t, testMigrate)}); !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want context.Canceled", err)
	}
	if entries, _ := os.ReadDir(out); len(entries) > 0 {
		t.Errorf("left behind: %v", entries)
	}
}

package sample_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/planrun/planrun/fate/convert"
	"github.com/planrun/planrun/fate/pb"
	"github.com/planrun/planrun/fate/sample"
	"google.golang.org/protobuf/proto"
)

// readModels reads every buffer listed in a party's define_meta.yaml,
// grouped by component, with its module.
func readModels(t *testing.T, dir string) map[string]map[string][]byte {
	t.Helper()
	meta, err := os.ReadFile(filepath.Join(dir, "define", "define_meta.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string][]byte{}
	var cpn, alias string
	section := ""
	for _, line := range strings.Split(string(meta), "\n") {
		trimmed := strings.TrimSpace(line)
		indent := len(line) - len(strings.TrimLeft(line, " "))
		switch {
		case indent == 0 && trimmed != "":
			section = strings.TrimSuffix(trimmed, ":")
		case section != "model_proto":
		case indent == 2:
			cpn = strings.TrimSuffix(trimmed, ":")
			if cpn == "pipeline" {
				section = ""
			}
		case indent == 4:
			alias = strings.TrimSuffix(trimmed, ":")
		case indent == 6:
			name, _, _ := strings.Cut(trimmed, ":")
			b, err := os.ReadFile(filepath.Join(dir, "variables", "data", cpn, alias, name))
			if err != nil {
				t.Fatal(err)
			}
			if out[cpn] == nil {
				out[cpn] = map[string][]byte{}
			}
			out[cpn][name] = b
		}
	}
	return out
}

var modules = map[string]string{
	"data_transform_0": "DataTransform", "dataio_0": "DataIO", "hetero_feature_binning_0": "HeteroFeatureBinning",
	"hetero_feature_selection_0": "HeteroFeatureSelection", "hetero_secureboost_0": "HeteroSecureBoost", "hetero_pearson_0": "HeteroPearson",
}

func TestWriteDefault(t *testing.T) {
	dir := t.TempDir()
	res, err := sample.Write(dir, sample.Options{Components: append(sample.DefaultComponents, sample.HeteroPearson), Checkpoints: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.ModelID != "arbiter-10000#guest-9999#host-10000#model" || res.FATEVersion != "1.11.2" || len(res.Parties) != 3 {
		t.Fatalf("result = %+v", res)
	}
	old := map[string][]int64{"guest": {9999}, "host": {10000}, "arbiter": {10000}}
	m := convert.Mapping{"guest": {9999: 99}, "host": {10000: 100}, "arbiter": {10000: 100}}
	for _, p := range res.Parties {
		want := filepath.Join(dir, p.Role+"#"+strings.TrimPrefix(p.Party.String(), p.Role+":")+"#"+res.ModelID, res.Version)
		if p.Dir != want {
			t.Errorf("dir = %s, want %s", p.Dir, want)
		}
		for _, rel := range []string{"define/define_meta.yaml", "variables/index", "variables/data/pipeline/pipeline/Pipeline", "variables/data/pipeline/pipeline/Pipeline.json", "run_parameters/pipeline/run_parameters.json"} {
			if _, err := os.Stat(filepath.Join(p.Dir, rel)); err != nil {
				t.Errorf("%s: %v", p.Party, err)
			}
		}
		for _, rel := range []string{"pipeline.pb", "define/proto"} {
			if _, err := os.Stat(filepath.Join(p.Dir, rel)); err == nil {
				t.Errorf("%s: 1.11 layout has %s", p.Party, rel)
			}
		}
		checkPipeline(t, p, res)
		models := readModels(t, p.Dir)
		if p.Role == "arbiter" {
			if len(models) != 0 {
				t.Errorf("arbiter has components %v", models)
			}
			continue
		}
		if len(models) != 5 {
			t.Fatalf("%s: %d components, want 5", p.Party, len(models))
		}
		for cpn, bufs := range models {
			module := modules[cpn]
			found, err := convert.Scan(module, bufs, old)
			if err != nil {
				t.Fatalf("%s %s: %v", p.Party, cpn, err)
			}
			if len(found) == 0 {
				t.Errorf("%s %s: no party-bearing string written", p.Party, cpn)
			}
			out, err := convert.Convert(module, bufs, m, convert.Options{Component: cpn})
			if err != nil {
				t.Fatalf("%s %s: %v", p.Party, cpn, err)
			}
			if left, _ := convert.Scan(module, out, old); len(left) != 0 {
				t.Errorf("%s %s: residue after migration: %v", p.Party, cpn, left)
			}
			if _, err := os.Stat(filepath.Join(p.Dir, "run_parameters", cpn, "run_parameters.json")); err != nil {
				t.Error(err)
			}
		}
	}
	guest := res.Parties[0].Dir
	if _, err := os.Stat(filepath.Join(guest, "checkpoint/hetero_secureboost_0/7#step_name/database.yaml")); err != nil {
		t.Error(err)
	}
	var sbt pb.BoostingTreeModelParam
	raw := readModels(t, guest)["hetero_secureboost_0"]["HeteroSecureBoostingTreeGuestParam"]
	if err := proto.Unmarshal(raw, &sbt); err != nil {
		t.Fatal(err)
	}
	if sbt.TreeNum != 8 || len(sbt.Trees_) != 8 || len(sbt.Trees_[0].Tree_) != 63 || sbt.Trees_[1].Tree_[0].Sitename != "host:10000" ||
		sbt.Trees_[0].Tree_[0].Sitename != "guest:9999" || sbt.TreePlan[1] != "1_10000" || len(sbt.ProtoReflect().GetUnknown()) != 0 {
		t.Errorf("secureboost param: trees %d, nodes %d, plan %v", sbt.TreeNum, len(sbt.Trees_[0].Tree_), sbt.TreePlan)
	}
	// The wire-built param is in canonical form.
	if again, _ := (proto.MarshalOptions{Deterministic: true}).Marshal(&sbt); !bytes.Equal(again, raw) {
		t.Error("secureboost param is not canonically encoded")
	}
}

func checkPipeline(t *testing.T, p sample.PartyModel, res *sample.Result) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(p.Dir, "variables/data/pipeline/pipeline/Pipeline"))
	if err != nil {
		t.Fatal(err)
	}
	var pipe pb.Pipeline
	if err := proto.Unmarshal(b, &pipe); err != nil {
		t.Fatal(err)
	}
	if pipe.ModelId != res.ModelID || pipe.ModelVersion != res.Version || pipe.FateVersion != "1.11.2" || pipe.InitiatorRole != "guest" || pipe.InitiatorPartyId != 9999 {
		t.Errorf("pipeline header: %v", &pipe)
	}
	if got, want := string(pipe.Roles), `{"guest": [9999], "host": [10000], "arbiter": [10000]}`; got != want {
		t.Errorf("roles = %s, want %s", got, want)
	}
	conf := string(pipe.TrainRuntimeConf)
	for _, frag := range []string{`{"dsl_version": 2, "initiator": {"role": "guest", "party_id": 9999}, "role": {"guest": [9999], "host": [10000], "arbiter": [10000]}, "job_parameters": {"common": {`, `"model_id": "arbiter-10000#guest-9999#host-10000#model", "model_version": "202311251200000000000"}}`} {
		if !strings.Contains(conf, frag) {
			t.Errorf("train_runtime_conf lacks %s:\n%s", frag, conf)
		}
	}
	if want := `"local": {"role": "` + p.Role + `", "party_id": ` + strings.TrimPrefix(p.Party.String(), p.Role+":") + `}`; !strings.Contains(string(pipe.RuntimeConfOnParty), want) {
		t.Errorf("runtime_conf_on_party lacks %s", want)
	}
	if !regexp.MustCompile(`"hetero_secureboost_0": \{"module": "HeteroSecureBoost"`).Match(pipe.TrainDsl) {
		t.Errorf("train_dsl: %s", pipe.TrainDsl)
	}
}

func TestWriteDeterministic(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	opts := sample.Options{Seed: 7, Components: append(sample.DefaultComponents, sample.HeteroPearson), Checkpoints: true}
	if _, err := sample.Write(a, opts); err != nil {
		t.Fatal(err)
	}
	if _, err := sample.Write(b, opts); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(tree(t, a), tree(t, b)); diff != "" {
		t.Errorf("two writes differ:\n%s", diff)
	}
	c := t.TempDir()
	opts.Seed = 8
	if _, err := sample.Write(c, opts); err != nil {
		t.Fatal(err)
	}
	if cmp.Equal(tree(t, a), tree(t, c)) {
		t.Error("another seed gives the same model")
	}
}

func tree(t *testing.T, root string) map[string]string {
	out := map[string]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		rel, _ := filepath.Rel(root, path)
		out[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestWriteSize(t *testing.T) {
	for name, size := range map[string]int64{"512 KB": 512 << 10, "1.5 MB": 3 << 19} {
		t.Run(name, func(t *testing.T) {
			res, err := sample.Write(t.TempDir(), sample.Options{SizeBytes: size, NoJSON: true, Components: []string{sample.HeteroSecureBoost}})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range res.Parties[:2] {
				fi, err := os.Stat(filepath.Join(p.Dir, "variables/data/hetero_secureboost_0/model", "HeteroSecureBoostingTree"+map[string]string{"guest": "Guest", "host": "Host"}[p.Role]+"Param"))
				if err != nil {
					t.Fatal(err)
				}
				if fi.Size() < size-4096 || fi.Size() > size+8192 {
					t.Errorf("%s: param is %d bytes, want about %d", p.Party, fi.Size(), size)
				}
			}
		})
	}
}

func TestWriteOldLayout(t *testing.T) {
	cases := map[string]struct {
		version           string
		json, runParams   bool
		protos            []string
		dataTransformName string
		anon              string
	}{
		"1.6.1": {version: "1.6.1", protos: []string{"boosting_tree.proto", "pipeline.proto"}, dataTransformName: "dataio_0"},
		"1.8.0": {version: "1.8.0", json: true, runParams: true, protos: []string{"pipeline.proto"}, dataTransformName: "data_transform_0", anon: "host_10000_0"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			res, err := sample.Write(t.TempDir(), sample.Options{FATEVersion: c.version})
			if err != nil {
				t.Fatal(err)
			}
			host := res.Parties[1].Dir
			if _, err := os.Stat(filepath.Join(host, "pipeline.pb")); err != nil {
				t.Error(err)
			}
			for _, p := range c.protos {
				if _, err := os.Stat(filepath.Join(host, "define/proto", p)); err != nil {
					t.Error(err)
				}
			}
			_, err = os.Stat(filepath.Join(host, "variables/data/pipeline/pipeline/Pipeline.json"))
			if (err == nil) != c.json {
				t.Errorf("json twin present = %v, want %v", err == nil, c.json)
			}
			_, err = os.Stat(filepath.Join(host, "run_parameters"))
			if (err == nil) != c.runParams {
				t.Errorf("run_parameters present = %v, want %v", err == nil, c.runParams)
			}
			meta, _ := os.ReadFile(filepath.Join(host, "define/define_meta.yaml"))
			if !strings.HasPrefix(string(meta), "describe: This is the model definition meta\n") || !strings.Contains(string(meta), "  "+c.dataTransformName+":\n") {
				t.Errorf("define_meta.yaml:\n%s", meta)
			}
			if c.anon != "" {
				var p pb.FeatureBinningParam
				b, _ := os.ReadFile(filepath.Join(host, "variables/data/hetero_feature_binning_0/model/FeatureBinningParam"))
				if err := proto.Unmarshal(b, &p); err != nil || p.HeaderAnonymous[0] != c.anon {
					t.Errorf("binning header_anonymous %v (%v), want %s first", p.HeaderAnonymous, err, c.anon)
				}
			}
		})
	}
}

func TestWriteBadOptions(t *testing.T) {
	dir := t.TempDir()
	if _, err := sample.Write(dir, sample.Options{}); err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		opts sample.Options
		want string
	}{
		"existing model":   {sample.Options{}, "already exists"},
		"no host":          {sample.Options{Parties: []sample.Party{{Role: "guest", ID: 1}}}, "want one guest and at least one host"},
		"two guests":       {sample.Options{Parties: []sample.Party{{Role: "guest", ID: 1}, {Role: "guest", ID: 2}, {Role: "host", ID: 3}}}, "want one guest"},
		"unknown role":     {sample.Options{Parties: []sample.Party{{Role: "judge", ID: 1}}}, `unknown role "judge"`},
		"unknown module":   {sample.Options{Components: []string{"HeteroLR"}}, `unknown module "HeteroLR"`},
		"bad fate version": {sample.Options{FATEVersion: "2.0.0"}, "want 1.5 to 1.11"},
		"model id path":    {sample.Options{ModelID: "../x"}, "path separator"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := sample.Write(dir, c.opts)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error = %v, want it to say %q", err, c.want)
			}
		})
	}
}

func TestParseParties(t *testing.T) {
	got, err := sample.ParseParties("guest:9999, host:10000,host:10001,arbiter:10000")
	if err != nil {
		t.Fatal(err)
	}
	want := []sample.Party{{"guest", 9999}, {"host", 10000}, {"host", 10001}, {"arbiter", 10000}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Error(diff)
	}
	if sample.ModelID(got) != "arbiter-10000#guest-9999#host-10000_10001#model" {
		t.Errorf("model id %s", sample.ModelID(got))
	}
	for _, bad := range []string{"guest", "guest:x", ""} {
		if _, err := sample.ParseParties(bad); err == nil {
			t.Errorf("ParseParties(%q): no error", bad)
		}
	}
}

func TestWriteContextCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := sample.WriteContext(ctx, t.TempDir(), sample.Options{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want context.Canceled", err)
	}
}

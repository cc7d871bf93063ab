package sample

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/planrun/planrun/fate/pb"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// Result says what Write wrote.
type Result struct {
	ModelID     string
	Version     string
	FATEVersion string
	Parties     []PartyModel
}

// PartyModel is one party's model directory.
type PartyModel struct {
	Party
	Dir        string   // <dir>/<role>#<party_id>#<model_id>/<version>
	Components []string // component names, without pipeline
	Files      int
	Bytes      int64
}

// Write writes one model per party under dir (a model_local_cache
// directory; created if missing). A party directory that already exists is
// an error: nothing is overwritten.
func Write(dir string, opts Options) (*Result, error) {
	return WriteContext(context.Background(), dir, opts)
}

// WriteContext is Write, stopping between components when ctx is done (a
// party directory may then be left half written).
func WriteContext(ctx context.Context, dir string, opts Options) (*Result, error) {
	o, err := opts.defaults()
	if err != nil {
		return nil, err
	}
	w := newWorld(o)
	res := &Result{ModelID: o.ModelID, Version: o.Version, FATEVersion: o.FATEVersion}
	for _, p := range o.Parties {
		pdir := filepath.Join(dir, p.Role+"#"+pid(p)+"#"+o.ModelID, o.Version)
		if _, err := os.Stat(pdir); err == nil {
			return nil, fmt.Errorf("write model of %s: %s already exists", p, pdir)
		}
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("write model of %s: %w", p, err)
		}
		pw := &partyWriter{dir: pdir}
		comps := w.components(p)
		if err := w.writeParty(ctx, pw, p, comps); err != nil {
			return nil, fmt.Errorf("write model of %s: %w", p, err)
		}
		pm := PartyModel{Party: p, Dir: pdir, Files: pw.files, Bytes: pw.bytes}
		for _, c := range comps {
			pm.Components = append(pm.Components, c.name)
		}
		res.Parties = append(res.Parties, pm)
	}
	return res, nil
}

// components are the party's components: the guest and the hosts run
// every module; the arbiter none of them (it keeps only the pipeline).
func (w *world) components(p Party) []component {
	if p.Role == "arbiter" {
		return nil
	}
	var out []component
	for _, m := range w.o.Components {
		name := w.cpnName(m)
		switch w.moduleOf(m) {
		case DataTransform, DataIO:
			out = append(out, w.dataTransform(p, name))
		case HeteroFeatureBinning:
			out = append(out, w.binning(p, name))
		case HeteroFeatureSelection:
			out = append(out, w.selection(p, name))
		case HeteroSecureBoost:
			out = append(out, w.secureboost(p, name))
		case HeteroPearson:
			out = append(out, w.pearson(p, name))
		}
	}
	return out
}

// partyWriter writes files under one party directory and counts them.
type partyWriter struct {
	dir   string
	files int
	bytes int64
}

func (pw *partyWriter) write(rel string, data []byte) error {
	path := filepath.Join(pw.dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return err
	}
	pw.files++
	pw.bytes += int64(len(data))
	return nil
}

// writeBuffer writes a buffer's encoding, part after part.
func (pw *partyWriter) writeBuffer(rel string, b buffer) error {
	if b.msg != nil {
		return pw.write(rel, mustMarshal(b.msg))
	}
	path := filepath.Join(pw.dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	for _, p := range b.parts {
		if _, err := f.Write(p); err != nil {
			f.Close()
			return err
		}
		pw.bytes += int64(len(p))
	}
	pw.files++
	return f.Close()
}

func (w *world) writeParty(ctx context.Context, pw *partyWriter, p Party, comps []component) error {
	jsonTwins := w.minor >= 7 && !w.o.NoJSON
	if err := os.MkdirAll(filepath.Join(pw.dir, "variables", "index"), 0o755); err != nil {
		return err
	}
	if err := pw.write("define/define_meta.yaml", []byte(w.defineMeta(comps))); err != nil {
		return err
	}
	for _, c := range comps {
		if err := ctx.Err(); err != nil {
			return err
		}
		for _, b := range c.buffers {
			rel := "variables/data/" + c.name + "/" + c.alias + "/" + b.name
			if err := pw.writeBuffer(rel, b); err != nil {
				return err
			}
			if jsonTwins {
				j, err := jsonTwin(b)
				if err != nil {
					return fmt.Errorf("write %s.json: %w", rel, err)
				}
				if err := pw.write(rel+".json", j); err != nil {
					return err
				}
			}
		}
		if w.minor >= 7 {
			if err := pw.write("run_parameters/"+c.name+"/run_parameters.json", []byte(pyJSON(c.params))); err != nil {
				return err
			}
		}
		if w.o.Checkpoints && w.minor >= 7 && c.module == HeteroSecureBoost {
			if err := w.checkpoint(pw, c); err != nil {
				return err
			}
		}
	}
	pipe := w.pipeline(p)
	data := mustMarshal(pipe)
	if err := pw.write("variables/data/pipeline/pipeline/Pipeline", data); err != nil {
		return err
	}
	if jsonTwins {
		j, err := jsonTwin(buffer{msg: pipe})
		if err != nil {
			return err
		}
		if err := pw.write("variables/data/pipeline/pipeline/Pipeline.json", j); err != nil {
			return err
		}
	}
	if w.minor >= 7 {
		if err := pw.write("run_parameters/pipeline/run_parameters.json", []byte("{}")); err != nil {
			return err
		}
	}
	if w.minor < 9 {
		if err := pw.write("pipeline.pb", data); err != nil {
			return err
		}
		return w.writeProtos(pw)
	}
	return nil
}

// writeProtos fills define/proto: every .proto in 1.5/1.6, pipeline.proto
// in 1.7/1.8.
func (w *world) writeProtos(pw *partyWriter) error {
	names, err := fs.Glob(pb.Protos, "*.proto")
	if err != nil {
		return err
	}
	for _, n := range names {
		if w.minor >= 7 && n != "pipeline.proto" {
			continue
		}
		b, err := pb.Protos.ReadFile(n)
		if err != nil {
			return err
		}
		if err := pw.write("define/proto/"+n, b); err != nil {
			return err
		}
	}
	return nil
}

// defineMeta renders define/define_meta.yaml as FATE's ruamel dumper does.
func (w *world) defineMeta(comps []component) string {
	var b strings.Builder
	if w.minor < 9 {
		b.WriteString("describe: This is the model definition meta\n")
	}
	b.WriteString("component_define:\n")
	for _, c := range comps {
		fmt.Fprintf(&b, "  %s:\n    module_name: %s\n", c.name, c.module)
	}
	b.WriteString("  pipeline:\n    module_name: Pipeline\nmodel_proto:\n")
	for _, c := range comps {
		fmt.Fprintf(&b, "  %s:\n    %s:\n", c.name, c.alias)
		for _, buf := range c.buffers {
			fmt.Fprintf(&b, "      %s: %s\n", buf.name, buf.class)
		}
	}
	b.WriteString("  pipeline:\n    pipeline:\n      Pipeline: Pipeline\n")
	return b.String()
}

// jsonTwin is the .json next to a buffer: every field, defaults included
// (FATE's MessageToDict(including_default_value_fields=True)).
func jsonTwin(b buffer) ([]byte, error) {
	msg := b.msg
	if msg == nil {
		msg = new(pb.BoostingTreeModelParam)
		if err := proto.Unmarshal(b.bytes(), msg); err != nil {
			return nil, err
		}
	}
	j, err := protojson.MarshalOptions{EmitUnpopulated: true}.Marshal(msg)
	if err != nil {
		return nil, err
	}
	var c bytes.Buffer
	if err := json.Compact(&c, j); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, c.Bytes(), "", "    "); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// checkpoint writes the final SecureBoost round as FATE 1.7+'s checkpoint
// manager does: <step>#<name>/<Model>.pb, <Model>.json and database.yaml.
func (w *world) checkpoint(pw *partyWriter, c component) error {
	step := 0
	if meta, ok := c.buffers[0].msg.(*pb.BoostingTreeModelMeta); ok {
		step = int(meta.NumTrees) - 1
	}
	dir := "checkpoint/" + c.name + "/" + strconv.Itoa(step) + "#step_name/"
	models := map[string]string{}
	var names []string
	for _, b := range c.buffers {
		data := b.bytes()
		if err := pw.write(dir+b.name+".pb", data); err != nil {
			return err
		}
		j, err := jsonTwin(b)
		if err != nil {
			return err
		}
		if err := pw.write(dir+b.name+".json", j); err != nil {
			return err
		}
		sum := sha1.Sum(data)
		models[b.name] = "    " + b.name + ":\n      sha1: " + hex.EncodeToString(sum[:]) + "\n      buffer_name: " + b.class + "\n"
		names = append(names, b.name)
	}
	sort.Strings(names)
	var y strings.Builder
	fmt.Fprintf(&y, "step_index: %d\nstep_name: step_name\ncreate_time: '2023-11-25T12:00:00'\nmodels:\n", step)
	for _, n := range names {
		y.WriteString(models[n])
	}
	return pw.write(dir+"database.yaml", []byte(y.String()))
}

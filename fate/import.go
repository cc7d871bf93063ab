package fate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/planrun/planrun/fate/pb"
)

// Import unpacks a migrated archive into
// `<CacheDir>/<role>#<party_id>#<model_id>/<model_version>` as FATE 1.9+'s
// /v1/model/import does, with its checks and pipeline fix-ups. It unpacks
// into a temporary directory and renames it into place; an existing
// target is refused unless Force. Role, PartyID, ModelID and ModelVersion
// default to the archive's import_model.json, then to its pipeline.
func Import(ctx context.Context, req ImportRequest) (*ImportResult, error) {
	fail := func(err error) (*ImportResult, error) { return nil, fmt.Errorf("import %s: %w", req.Zip, err) }
	if req.SHA256 != "" {
		sum, err := FileSHA256(req.Zip)
		if err != nil {
			return fail(err)
		}
		if !strings.EqualFold(sum, req.SHA256) {
			return fail(fmt.Errorf("model archive hash mismatch: expected %s, actual %s", req.SHA256, sum))
		}
	}
	m, err := OpenModel(req.Zip, req.Limits)
	if err != nil {
		return nil, err
	}
	defer m.Close()
	if m.closer == nil {
		return fail(errors.New("not an archive"))
	}
	if err := importDefaults(m, &req); err != nil {
		return fail(err)
	}
	trc, err := pipelineDoc(m.Pipeline.TrainRuntimeConf, "train_runtime_conf")
	if err != nil {
		return fail(err)
	}
	var probs []string
	roles := decodeRoles(trc.get("role"), "train_runtime_conf.role", func(p, msg string) { probs = append(probs, p+": "+msg) })
	if len(probs) > 0 {
		return fail(errors.New(strings.Join(probs, "; ")))
	}
	if !slices.Contains(roles[req.Role], req.PartyID) {
		// FATE's message (apps/model_app.py).
		return fail(fmt.Errorf("Party id \"%d\" is not in role \"%s\", please check if the party id and role is valid.", req.PartyID, req.Role))
	}
	np, err := importPipeline(m.Pipeline, req.ModelID, req.ModelVersion)
	if err != nil {
		return fail(err)
	}
	pmid := PartyModelID(req.Role, req.PartyID, req.ModelID)
	target := filepath.Join(req.CacheDir, pmid, req.ModelVersion)
	if exists, err := modelDirExists(target); err != nil {
		return fail(err)
	} else if exists && !req.Force {
		return fail(fmt.Errorf("Model %s %s local cache already existed.", pmid, req.ModelVersion))
	}
	parent := filepath.Dir(target)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fail(err)
	}
	tmp, err := os.MkdirTemp(parent, "."+req.ModelVersion+".import-*")
	if err != nil {
		return fail(err)
	}
	defer os.RemoveAll(tmp)
	if err := os.Chmod(tmp, 0o755); err != nil { // MkdirTemp makes it 0700
		return fail(err)
	}
	if err := unpack(ctx, m, tmp); err != nil {
		return fail(err)
	}
	if err := writePipelineFiles(tmp, m, np); err != nil {
		return fail(err)
	}
	if err := replaceDir(tmp, target); err != nil {
		return fail(err)
	}
	return &ImportResult{Dir: target, ModelID: req.ModelID, ModelVersion: req.ModelVersion, PartyModelID: pmid}, nil
}

// importDefaults fills the request from import_model.json and the pipeline.
func importDefaults(m *Model, req *ImportRequest) error {
	if m.Has(importConfigPath) {
		data, err := m.ReadFile(importConfigPath)
		if err != nil {
			return err
		}
		ic, err := ParseImportConfig(data, importConfigPath)
		if err != nil {
			return err
		}
		if req.Role == "" {
			req.Role, req.PartyID = ic.Role, ic.PartyID
		}
		if req.ModelID == "" {
			req.ModelID = ic.ModelID
		}
		if req.ModelVersion == "" {
			req.ModelVersion = ic.ModelVersion
		}
	}
	if req.Role == "" && m.Role != "" {
		req.Role, req.PartyID = m.Role, m.PartyID
	}
	if req.ModelID == "" {
		req.ModelID = m.Pipeline.ModelId
	}
	if req.ModelVersion == "" {
		req.ModelVersion = m.Pipeline.ModelVersion
	}
	var missing []string
	for _, f := range []struct{ name, val string }{{"model_id", req.ModelID}, {"model_version", req.ModelVersion}, {"role", req.Role}} {
		if f.val == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return errors.New(missingMessage(missing))
	}
	for _, f := range []struct{ name, val string }{{"model_id", req.ModelID}, {"model_version", req.ModelVersion}, {"role", req.Role}} {
		if strings.ContainsAny(f.val, `/\`) || f.val == "." || f.val == ".." {
			return fmt.Errorf("%s %q cannot name a directory", f.name, f.val)
		}
	}
	return nil
}

// modelDirExists is FATE's PipelinedModel.exists: a directory holding
// anything but .lock.
func modelDirExists(dir string) (bool, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	for _, e := range entries {
		if e.Name() != lockFile {
			return true, nil
		}
	}
	return false, nil
}

// unpack writes every entry of the (already checked) archive under dir,
// holding each file to its declared size.
func unpack(ctx context.Context, m *Model, dir string) error {
	for _, d := range m.dirs {
		if err := os.MkdirAll(filepath.Join(dir, filepath.FromSlash(d)), 0o755); err != nil {
			return err
		}
	}
	for _, f := range m.files {
		if err := ctx.Err(); err != nil {
			return context.Cause(ctx)
		}
		dst := filepath.Join(dir, filepath.FromSlash(f.path))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := copyEntry(m, f, dst); err != nil {
			return err
		}
	}
	return nil
}

func copyEntry(m *Model, f fileInfo, dst string) error {
	src, err := m.Open(f.path)
	if err != nil {
		return fmt.Errorf("read %s: %w", f.path, err)
	}
	defer src.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	n, err := io.Copy(out, io.LimitReader(src, f.size+1))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("unpack %s: %w", f.path, err)
	}
	if n != f.size {
		return fmt.Errorf("unpack %s: %d bytes, the archive declares %d", f.path, n, f.size)
	}
	if !f.modTime.IsZero() {
		_ = os.Chtimes(dst, f.modTime, f.modTime)
	}
	return nil
}

// writePipelineFiles stores the patched pipeline where the model keeps
// it, with its .json twin as FATE 1.9+ writes it.
func writePipelineFiles(dir string, m *Model, p *pb.Pipeline) error {
	data, err := marshalBuffer(p)
	if err != nil {
		return fmt.Errorf("encode pipeline: %w", err)
	}
	write := func(rel string, b []byte) error {
		dst := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	}
	if err := write(pipelineBuffer, data); err != nil {
		return err
	}
	if err := write(pipelineBuffer+".json", dictJSON(p.ProtoReflect())); err != nil {
		return err
	}
	if m.Has(pipelinePBPath) {
		return write(pipelinePBPath, data)
	}
	return nil
}

// replaceDir renames src to dst, moving an existing dst aside first and
// removing it once src is in place.
func replaceDir(src, dst string) error {
	old := ""
	if _, err := os.Lstat(dst); err == nil {
		old = dst + ".old-" + path.Base(src)
		if err := os.Rename(dst, old); err != nil {
			return err
		}
	}
	if err := os.Rename(src, dst); err != nil {
		if old != "" {
			_ = os.Rename(old, dst)
		}
		return err
	}
	if old != "" {
		return os.RemoveAll(old)
	}
	return nil
}

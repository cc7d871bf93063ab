package flowtest

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/planrun/planrun/fate"
	"github.com/planrun/planrun/fate/pb"
)

// dbRow is a model registered in FATE Flow's database (t_machine_learning_model_info).
type dbRow struct {
	Role         string
	PartyID      string
	ModelID      string
	ModelVersion string
	InitRole     string
	InitParty    string
	Roles        map[string][]int64
}

// Model describes one party's model for PutModel and ModelFiles.
type Model struct {
	Role         string
	PartyID      int64
	ModelID      string
	ModelVersion string
	// Roles is train_runtime_conf.role; Initiator its initiator.
	Roles     map[string][]int64
	Initiator fate.Party
	// FateVersion of the pipeline (default "1.9.0").
	FateVersion string
	// Extra files (relative path → content) added to the model directory.
	Extra map[string][]byte
	// Unregistered leaves the model out of the database, as a model copied
	// into model_local_cache by hand is (PutModel only).
	Unregistered bool
}

// pipelinePath is where the pipeline message lives in a model directory.
const pipelinePath = "variables/data/pipeline/pipeline/Pipeline"

// ModelFiles returns a small but complete party model: define_meta.yaml,
// the pipeline message (a real protobuf with train_runtime_conf), and one
// component (dataio_0) with its Meta and Param buffers.
func ModelFiles(m Model) map[string][]byte {
	if m.FateVersion == "" {
		m.FateVersion = "1.9.0"
	}
	trc := map[string]any{
		"dsl_version": 2,
		"initiator":   map[string]any{"role": m.Initiator.Role, "party_id": m.Initiator.PartyID},
		"role":        m.Roles,
		"job_parameters": map[string]any{"common": map[string]any{
			"model_id": m.ModelID, "model_version": m.ModelVersion}},
	}
	trcJSON, _ := json.Marshal(trc)
	rolesJSON, _ := json.Marshal(m.Roles)
	// runtime_conf_on_party as FATE keeps it: the party's own view of
	// the job, with flat job_parameters.
	onParty, _ := json.Marshal(map[string]any{
		"dsl_version": 2, "role": m.Roles, "initiator": trc["initiator"],
		"local":                map[string]any{"role": m.Role, "party_id": m.PartyID},
		"job_parameters":       map[string]any{"job_type": "train", "model_id": m.ModelID, "model_version": m.ModelVersion},
		"component_parameters": map[string]any{},
	})
	p := &pb.Pipeline{
		TrainRuntimeConf: trcJSON, FateVersion: m.FateVersion, ModelId: m.ModelID,
		ModelVersion: m.ModelVersion, Roles: rolesJSON, InitiatorRole: m.Initiator.Role,
		InitiatorPartyId: int32(m.Initiator.PartyID), RuntimeConfOnParty: onParty,
		InferenceDsl: []byte(`{"components": {}}`), TrainDsl: []byte(`{"components": {}}`),
	}
	pbBytes, err := proto.Marshal(p)
	if err != nil {
		panic(err)
	}
	files := map[string][]byte{
		"define/define_meta.yaml": []byte("component_define:\n  dataio_0:\n    module_name: DataIO\n" +
			"model_proto:\n  dataio_0:\n    dataio:\n      DataIOMeta: DataIOMeta\n      DataIOParam: DataIOParam\n" +
			"  pipeline:\n    pipeline:\n      Pipeline: Pipeline\n"),
		pipelinePath: pbBytes,
		"variables/data/dataio_0/dataio/DataIOMeta":  dataIOMeta(m.PartyID),
		"variables/data/dataio_0/dataio/DataIOParam": []byte("\x0a\x02x0\x0a\x02x1"),
	}
	for k, v := range m.Extra {
		files[k] = v
	}
	return files
}

// PutModel writes a party's model into the server's model_local_cache
// (<role>#<pid>#<model_id>/<version>) and registers it in the database,
// as a trained or imported model would be. It returns the directory.
func (s *Server) PutModel(m Model) string {
	s.t.Helper()
	pmid := fate.PartyModelID(m.Role, m.PartyID, m.ModelID)
	dir := filepath.Join(s.CacheDir(), pmid, m.ModelVersion)
	if err := writeFiles(dir, ModelFiles(m)); err != nil {
		s.t.Fatal(err)
	}
	if m.Unregistered {
		return dir
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.defineMeta[pmid+"/"+m.ModelVersion] = true
	s.db[pmid+"/"+m.ModelVersion] = &dbRow{Role: m.Role, PartyID: strconv.FormatInt(m.PartyID, 10),
		ModelID: m.ModelID, ModelVersion: m.ModelVersion, InitRole: m.Initiator.Role,
		InitParty: strconv.FormatInt(m.Initiator.PartyID, 10), Roles: m.Roles}
	return dir
}

// HasModel reports whether <role>#<pid>#<model_id>/<version> is in the cache.
func (s *Server) HasModel(role string, partyID int64, modelID, version string) bool {
	_, err := os.Stat(filepath.Join(s.CacheDir(), fate.PartyModelID(role, partyID, modelID), version, pipelinePath))
	return err == nil
}

func writeFiles(dir string, files map[string][]byte) error {
	for name, b := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// ZipFiles makes an archive as FATE's make_archive does: relative entries,
// no top folder, directory entries ending in "/", deflated files.
func ZipFiles(files map[string][]byte) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	dirs := map[string]bool{}
	var names []string
	for n := range files {
		names = append(names, n)
		for d := path.Dir(n); d != "."; d = path.Dir(d) {
			dirs[d+"/"] = true
		}
	}
	for d := range dirs {
		names = append(names, d)
	}
	sort.Strings(names)
	for _, n := range names {
		if strings.HasSuffix(n, "/") {
			zw.CreateHeader(&zip.FileHeader{Name: n, Method: zip.Store})
			continue
		}
		w, _ := zw.CreateHeader(&zip.FileHeader{Name: n, Method: zip.Deflate})
		w.Write(files[n])
	}
	zw.Close()
	return buf.Bytes()
}

// readDir reads every file below dir into a map keyed by slash path.
func readDir(dir string) (map[string][]byte, error) {
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == ".lock" {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		b, err := os.ReadFile(p)
		files[filepath.ToSlash(rel)] = b
		return err
	})
	return files, err
}

// packDir zips a model directory to zipPath and returns its sha256.
func packDir(dir, zipPath string) (string, error) {
	files, err := readDir(dir)
	if err != nil {
		return "", err
	}
	b := ZipFiles(files)
	if err := os.WriteFile(zipPath, b, 0o644); err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// unpack extracts an archive into dir, refusing entries that would land
// outside it.
func unpack(data []byte, dir string) error {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		// str() of zipfile.BadZipFile, which shutil.unpack_archive raises.
		return fmt.Errorf("File is not a zip file")
	}
	for _, f := range zr.File {
		name := path.Clean(f.Name)
		if path.IsAbs(f.Name) || name == ".." || strings.HasPrefix(name, "../") {
			return fmt.Errorf("unsafe archive entry %q", f.Name)
		}
		p := filepath.Join(dir, filepath.FromSlash(name))
		if strings.HasSuffix(f.Name, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				return err
			}
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return err
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func readPipeline(dir string) (*pb.Pipeline, error) {
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(pipelinePath)))
	if err != nil {
		return nil, err
	}
	p := &pb.Pipeline{}
	if err := proto.Unmarshal(b, p); err != nil {
		return nil, fmt.Errorf("parse pipeline: %w", err)
	}
	return p, nil
}

func writePipeline(dir string, p *pb.Pipeline, alsoPB bool) error {
	b, err := proto.Marshal(p)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(pipelinePath)), b, 0o644); err != nil {
		return err
	}
	if alsoPB {
		return os.WriteFile(filepath.Join(dir, "pipeline.pb"), b, 0o644)
	}
	return nil
}

// trcRoles reads train_runtime_conf.role as role → ids (as strings).
func trcRoles(p *pb.Pipeline) map[string][]string {
	var trc struct {
		Role map[string][]json.Number `json:"role"`
	}
	_ = json.Unmarshal(p.TrainRuntimeConf, &trc)
	out := map[string][]string{}
	for r, ids := range trc.Role {
		for _, id := range ids {
			out[r] = append(out[r], id.String())
		}
	}
	return out
}

func copyDir(src, dst string) error {
	files, err := readDir(src)
	if err != nil {
		return err
	}
	return writeFiles(dst, files)
}

// pipelineOnlyMeta is define_meta.yaml as 1.9+ writes it from a database
// that holds only the pipeline component.
const pipelineOnlyMeta = "component_define:\n  pipeline:\n    module_name: Pipeline\nmodel_proto:\n  pipeline:\n    pipeline:\n      Pipeline: Pipeline\n"

func copyPipelineOnly(src, dst string) error {
	b, err := os.ReadFile(filepath.Join(src, filepath.FromSlash(pipelinePath)))
	if err != nil {
		return err
	}
	return writeFiles(dst, map[string][]byte{pipelinePath: b, "define/define_meta.yaml": []byte(pipelineOnlyMeta)})
}

// dataIOMeta is a DataIOMeta buffer: field 1 "dense", and field 2 a short
// string that differs by party (its length prefixed, as protobuf wants).
func dataIOMeta(partyID int64) []byte {
	v := strconv.FormatInt(partyID%1000, 10)
	return append([]byte("\x0a\x05dense\x12"+string(rune(len(v)))), v...)
}

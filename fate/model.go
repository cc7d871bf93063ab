package fate

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/planrun/planrun/fate/pb"
)

// Paths inside a model version directory.
const (
	defineMetaPath   = "define/define_meta.yaml"
	pipelineBuffer   = "variables/data/pipeline/pipeline/Pipeline"
	pipelinePBPath   = "pipeline.pb"
	importConfigPath = "import_model.json"
	lockFile         = ".lock"
)

// fillMessage is what FATE stores in place of an empty message:
// DefaultEmptyFillMessage{flag: "set"}.
var fillMessage = []byte{0x0a, 0x03, 0x73, 0x65, 0x74}

// Model is one party's model version, read from a directory or a zip, in
// any layout from FATE 1.4 to 1.11. It is read-only.
type Model struct {
	Source string // the path opened
	Root   string // the version directory inside Source ("." for the top)

	// From the directory or archive name, when it follows FATE's naming.
	Role         string
	PartyID      int64
	ModelID      string
	ModelVersion string

	Define      *DefineMeta
	Pipeline    *pb.Pipeline
	PipelineRaw []byte

	files   []fileInfo // every regular file except .lock, sorted by path
	dirs    []string   // every directory (slash paths)
	fsys    fs.FS
	closer  io.Closer
	modTime time.Time // of the pipeline buffer: the archive's fixed time
}

type fileInfo struct {
	path    string // slash path relative to the version directory
	size    int64
	modTime time.Time
}

// OpenModel opens a party's model: a `<role>#<pid>#<model_id>/<version>`
// directory, its parent holding exactly one version, or a zip of either.
// Zip entries are checked (traversal, symlinks, lim) before use.
func OpenModel(src string, lim ZipLimits) (*Model, error) {
	st, err := os.Stat(src)
	if err != nil {
		return nil, fmt.Errorf("open model: %w", err)
	}
	m := &Model{Source: src}
	var fsys fs.FS
	if st.IsDir() {
		fsys = os.DirFS(src)
	} else {
		zr, err := openZip(src, lim)
		if err != nil {
			return nil, fmt.Errorf("open model: %w", err)
		}
		m.closer = zr
		fsys = zr
	}
	if err := m.load(fsys); err != nil {
		m.Close()
		return nil, fmt.Errorf("open model %s: %w", src, err)
	}
	return m, nil
}

// Close releases an archive.
func (m *Model) Close() error {
	if m.closer != nil {
		return m.closer.Close()
	}
	return nil
}

func (m *Model) load(fsys fs.FS) error {
	root, err := findRoot(fsys)
	if err != nil {
		return err
	}
	m.Root = root
	m.nameFrom(root)
	if root != "." {
		if fsys, err = fs.Sub(fsys, root); err != nil {
			return err
		}
	}
	m.fsys = fsys
	err = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type()&fs.ModeSymlink != 0 {
			return fmt.Errorf("%s: symlinks are not supported in a model", p)
		}
		if d.IsDir() {
			if p != "." {
				m.dirs = append(m.dirs, p)
			}
			return nil
		}
		if p == lockFile {
			return nil
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s: not a regular file", p)
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		m.files = append(m.files, fileInfo{path: p, size: info.Size(), modTime: info.ModTime()})
		return nil
	})
	if err != nil {
		return fmt.Errorf("list files: %w", err)
	}
	slices.SortFunc(m.files, func(a, b fileInfo) int { return strings.Compare(a.path, b.path) })

	data, err := m.ReadFile(defineMetaPath)
	if err != nil {
		return err
	}
	if m.Define, err = parseDefineMeta(data, defineMetaPath); err != nil {
		return err
	}
	pipeFile := pipelineBuffer
	if !m.Has(pipeFile) {
		pipeFile = pipelinePBPath
	}
	if m.PipelineRaw, err = m.ReadFile(pipeFile); err != nil {
		return fmt.Errorf("read pipeline: %w", err)
	}
	m.modTime = m.file(pipeFile).modTime
	m.Pipeline = &pb.Pipeline{}
	if err := unmarshalBuffer(m.PipelineRaw, m.Pipeline); err != nil {
		return fmt.Errorf("decode %s as Pipeline: %w", pipeFile, err)
	}
	return m.checkBuffers()
}

// checkBuffers makes sure every buffer define_meta lists is there.
func (m *Model) checkBuffers() error {
	var missing []string
	for _, md := range m.Define.Models {
		for _, b := range md.Buffers {
			if p := m.BufferPath(md, b.Name); !m.Has(p) {
				missing = append(missing, fmt.Sprintf("%s (model_proto.%s.%s.%s)", p, md.Component, md.Alias, b.Name))
			}
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing buffer file listed in %s: %s", defineMetaPath, strings.Join(missing, ", "))
	}
	return nil
}

// unmarshalBuffer decodes a stored buffer; FATE's fill message stands for
// an empty message.
func unmarshalBuffer(data []byte, msg proto.Message) error {
	if string(data) == string(fillMessage) {
		proto.Reset(msg)
		return nil
	}
	return proto.Unmarshal(data, msg)
}

// BufferPath is where a component's buffer lives in the model.
func (m *Model) BufferPath(md ModelDef, name string) string {
	return path.Join("variables/data", md.Component, md.Alias, name)
}

// Has reports whether the model holds the file.
func (m *Model) Has(p string) bool { return m.file(p).path != "" }

func (m *Model) file(p string) fileInfo {
	i, ok := slices.BinarySearchFunc(m.files, p, func(f fileInfo, p string) int { return strings.Compare(f.path, p) })
	if !ok {
		return fileInfo{}
	}
	return m.files[i]
}

// Files lists every file of the model (slash paths), sorted.
func (m *Model) Files() []string {
	out := make([]string, len(m.files))
	for i, f := range m.files {
		out[i] = f.path
	}
	return out
}

// ReadFile reads one file of the model.
func (m *Model) ReadFile(p string) ([]byte, error) {
	if !m.Has(p) {
		return nil, fmt.Errorf("read %s: %w", p, fs.ErrNotExist)
	}
	data, err := fs.ReadFile(m.fsys, p)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	return data, nil
}

// Open opens one file of the model for streaming.
func (m *Model) Open(p string) (fs.File, error) { return m.fsys.Open(p) }

// findRoot finds the version directory: the top itself, or the one
// version directory below it (one or two levels down).
func findRoot(fsys fs.FS) (string, error) {
	if isRoot(fsys, ".") {
		return ".", nil
	}
	var found []string
	var search func(dir string, depth int) error
	search = func(dir string, depth int) error {
		entries, err := fs.ReadDir(fsys, dir)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if !e.IsDir() {
				continue
			}
			p := path.Join(dir, e.Name())
			if isRoot(fsys, p) {
				found = append(found, p)
			} else if depth > 1 {
				if err := search(p, depth-1); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := search(".", 2); err != nil {
		return "", fmt.Errorf("find model version: %w", err)
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("no model version found (want %s or %s)", defineMetaPath, pipelineBuffer)
	case 1:
		return found[0], nil
	}
	return "", fmt.Errorf("%d model versions found (%s): open one of them", len(found), strings.Join(found, ", "))
}

func isRoot(fsys fs.FS, dir string) bool {
	for _, p := range []string{defineMetaPath, pipelineBuffer, pipelinePBPath} {
		if st, err := fs.Stat(fsys, path.Join(dir, p)); err == nil && !st.IsDir() {
			return true
		}
	}
	return false
}

// nameFrom takes role, party id, model id and version from FATE's names:
// `<role>#<pid>#<model_id>/<version>` or `<role>#<pid>#<model_id>_<version>.zip`.
func (m *Model) nameFrom(root string) {
	full := filepath.ToSlash(filepath.Join(m.Source, root))
	ver := path.Base(full)
	parent := path.Base(path.Dir(full))
	if m.closer != nil { // an archive: its name, unless the version is a folder in it
		zipName := path.Base(filepath.ToSlash(m.Source))
		if _, _, _, err := ParsePartyModelID(parent); err == nil && root != "." {
			m.setName(parent, ver)
			return
		}
		base := strings.TrimSuffix(zipName, path.Ext(zipName))
		if i := strings.LastIndex(base, "_"); i > 0 {
			parent, ver = base[:i], base[i+1:]
		}
	}
	m.setName(parent, ver)
}

func (m *Model) setName(partyModelID, version string) {
	if role, pid, mid, err := ParsePartyModelID(partyModelID); err == nil {
		m.Role, m.PartyID, m.ModelID, m.ModelVersion = role, pid, mid, version
	}
}

package modelimport

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/planrun/planrun/fate"
	"github.com/planrun/planrun/hosts"
	"github.com/planrun/planrun/steps"
)

// marker records a native import. It lives outside model_local_cache, in
// <cache_dir>/../.planrun-imports/<party_model_id>/<version>.json: FATE
// lists model_local_cache's directories as models and versions, and a
// stray file there would be taken for one.
type marker struct {
	State        string `json:"state"` // "copying" or "done"
	SHA256       string `json:"sha256"`
	ModelID      string `json:"model_id"`
	ModelVersion string `json:"model_version"`
	Time         string `json:"time"`
	// Files lists what planrun installed (relative path → sha256), for the
	// probe and later imports to find a model whose files changed. Markers
	// written before planrun kept it have none.
	Files map[string]string `json:"files,omitempty"`
}

func markerPath(cacheDir, pmid, version string) string {
	return path.Join(path.Dir(path.Clean(cacheDir)), ".planrun-imports", pmid, version+".json")
}

func (k *Import) cacheDir(env *steps.Env, c *Config) (string, error) {
	if c.CacheDir != "" {
		return c.CacheDir, nil
	}
	spec, ok := env.Hosts.Spec(c.Host)
	if !ok {
		return "", fmt.Errorf("host %s is not in the inventory", c.Host)
	}
	if spec.FateBase == "" {
		return "", fmt.Errorf("host %s has no fate_base: set it, or cache_dir", c.Host)
	}
	return path.Join(spec.FateBase, "model_local_cache"), nil
}

func readMarker(ctx context.Context, h hosts.Host, p string) (*marker, error) {
	rc, err := h.Open(ctx, p)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, 64<<20))
	if err != nil {
		return nil, err
	}
	var m marker
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("marker %s: %w", p, err)
	}
	return &m, nil
}

// writeMarker writes the marker under a temporary name and renames it.
func writeMarker(ctx context.Context, h hosts.Host, p string, m marker) error {
	m.Time = time.Now().UTC().Format(time.RFC3339)
	b, _ := json.Marshal(m)
	if err := h.MkdirAll(ctx, path.Dir(p), 0o755); err != nil {
		return err
	}
	tmp := hosts.TempName(p)
	w, err := h.Create(ctx, tmp, 0o644)
	if err != nil {
		return err
	}
	if _, err := w.Write(b); err != nil {
		w.Close()
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return h.Rename(ctx, tmp, p)
}

func (k *Import) runNative(ctx context.Context, env *steps.Env, c *Config) (steps.Outputs, error) {
	rate, err := steps.ParseRate(c.BWLimit)
	if err != nil {
		return nil, err
	}
	zipPath, err := steps.FetchAt(ctx, env, c.File, "archive", rate)
	if err != nil {
		return nil, err
	}
	sum, err := fate.FileSHA256(zipPath)
	if err != nil {
		return nil, err
	}
	if c.SHA256 != "" && !strings.EqualFold(sum, c.SHA256) {
		return nil, fmt.Errorf("archive %s has sha256 %s, want %s", c.File, sum, c.SHA256)
	}
	cache, err := k.cacheDir(env, c)
	if err != nil {
		return nil, err
	}
	th, err := env.Hosts.Host(ctx, c.Host)
	if err != nil {
		return nil, err
	}
	stage := env.StepDir("stage")
	if err := os.RemoveAll(stage); err != nil {
		return nil, err
	}
	res, err := fate.Import(ctx, fate.ImportRequest{Zip: zipPath, CacheDir: stage, Role: c.Role, PartyID: c.PartyID,
		ModelID: c.ModelID, ModelVersion: c.ModelVersion, SHA256: sum})
	if err != nil {
		return nil, err
	}
	dst := path.Join(cache, res.PartyModelID, res.ModelVersion)
	mp := markerPath(cache, res.PartyModelID, res.ModelVersion)
	out := outputs(c.Role, c.PartyID, res.ModelID, res.ModelVersion, "", sum)
	out["dir"] = dst
	if _, err := th.Stat(ctx, dst); err == nil {
		m, _ := readMarker(ctx, th, mp)
		ours := m != nil && m.SHA256 == sum
		drift := ""
		if ours && m.State == "done" {
			if drift, err = installedDrift(ctx, th, dst, m.Files); err != nil {
				return nil, fmt.Errorf("check the model installed at %s on %s: %w", dst, c.Host, err)
			}
		}
		switch {
		case ours && m.State == "done" && drift == "":
			if env.Log != nil {
				fmt.Fprintf(env.Log, "%s on %s already holds this archive (sha256 %s): nothing to import\n", dst, c.Host, sum)
			}
			return out, nil
		case ours && m.State == "done":
			// Installed by planrun from this archive, changed since.
			if env.Log != nil {
				fmt.Fprintf(env.Log, "%s on %s was installed from this archive, but %s since: installing it again\n", dst, c.Host, drift)
			}
			if err := th.RemoveAll(ctx, dst); err != nil {
				return nil, err
			}
		case ours:
			// Our own interrupted copy: finish it below.
		case !c.Force:
			return nil, fmt.Errorf("import %s into %s:%s: Model %s %s local cache already existed (set force: true to replace it)",
				c.File, c.Host, cache, res.PartyModelID, res.ModelVersion)
		default:
			if err := th.RemoveAll(ctx, dst); err != nil {
				return nil, err
			}
		}
	}
	if err := th.MkdirAll(ctx, path.Dir(dst), 0o755); err != nil {
		return nil, err
	}
	mk := marker{State: "copying", SHA256: sum, ModelID: res.ModelID, ModelVersion: res.ModelVersion}
	if err := writeMarker(ctx, th, mp, mk); err != nil {
		return nil, fmt.Errorf("write import marker on %s: %w", c.Host, err)
	}
	local, err := env.Hosts.Host(ctx, hosts.LocalName)
	if err != nil {
		return nil, err
	}
	opts := hosts.CopyOptions{NoRecord: true, BytesPerSecond: rate} // nothing of ours inside model_local_cache
	if env.Progress != nil {
		opts.Progress = env.Progress
	}
	cr, err := hosts.Copy(ctx, local, res.Dir, th, dst, opts)
	if err != nil {
		return nil, fmt.Errorf("install model on %s: %w", c.Host, err)
	}
	mk.State, mk.Files = "done", cr.Sums
	if err := writeMarker(ctx, th, mp, mk); err != nil {
		return nil, fmt.Errorf("write import marker on %s: %w", c.Host, err)
	}
	os.RemoveAll(stage)
	if env.Log != nil {
		fmt.Fprintf(env.Log, "imported %s into %s:%s (%d files, %d bytes)\n", c.File, c.Host, dst, cr.Files, cr.Bytes)
	}
	return out, nil
}

// installedDrift compares the model at dir on h with the files planrun
// installed there (want, from the marker) and describes the first
// difference, "" when each is there with its sha256. Files added since
// are not a difference: FATE may add its own. Every file is hashed where
// it lies. A marker without files (older planrun) checks nothing.
func installedDrift(ctx context.Context, h hosts.Host, dir string, want map[string]string) (string, error) {
	if len(want) == 0 {
		return "", nil
	}
	if _, err := h.Stat(ctx, dir); errors.Is(err, fs.ErrNotExist) {
		return "its directory is gone", nil
	} else if err != nil {
		return "", err
	}
	// Only the files installed are hashed: what was added beside them
	// (anything, a link out of the tree or a fifo included) is not
	// planrun's to check.
	got, err := hosts.FileSums(ctx, h, dir, slices.Collect(maps.Keys(want)))
	if err != nil {
		return "", err
	}
	for _, name := range slices.Sorted(maps.Keys(want)) {
		switch s, ok := got[name]; {
		case !ok:
			// Left out: gone, or something else than a file is there.
			fi, err := h.Stat(ctx, path.Join(dir, name))
			switch {
			case errors.Is(err, fs.ErrNotExist):
				return fmt.Sprintf("%q was removed", name), nil
			case err == nil && fi.IsDir():
				return fmt.Sprintf("%q is a directory now", name), nil
			case err == nil && fi.Mode().IsRegular():
				return fmt.Sprintf("%q is a link now, not the file installed", name), nil
			}
			return fmt.Sprintf("%q is no longer the file installed", name), nil
		case s != want[name]:
			return fmt.Sprintf("%q has changed", name), nil
		}
	}
	return "", nil
}

// probeNative: done when the pipeline is in place, the marker says done
// with the archive's sha256, and every file installed is unchanged.
func (k *Import) probeNative(ctx context.Context, env *steps.Env, c *Config, last steps.Outputs) (steps.ProbeResult, error) {
	pmid, version := "", c.ModelVersion
	if c.ModelID != "" {
		pmid = fate.PartyModelID(c.Role, c.PartyID, c.ModelID)
	} else if last != nil {
		pmid, _ = last["party_model_id"].(string)
	}
	if version == "" && last != nil {
		version, _ = last["model_version"].(string)
	}
	if pmid == "" || version == "" {
		return steps.ProbeResult{}, nil
	}
	cache, err := k.cacheDir(env, c)
	if err != nil {
		return steps.ProbeResult{}, err
	}
	th, err := env.Hosts.Host(ctx, c.Host)
	if err != nil {
		return steps.ProbeResult{}, err
	}
	dst := path.Join(cache, pmid, version)
	if _, err := th.Stat(ctx, path.Join(dst, "variables/data/pipeline/pipeline/Pipeline")); err != nil {
		return steps.ProbeResult{Why: fmt.Sprintf("%s on %s has no pipeline", dst, c.Host)}, nil
	}
	m, err := readMarker(ctx, th, markerPath(cache, pmid, version))
	if err != nil || m.State != "done" {
		return steps.ProbeResult{Why: fmt.Sprintf("planrun's record of installing %s on %s is missing or unfinished", dst, c.Host)}, nil
	}
	fh, fp := hosts.ParseAddress(c.File)
	fhost, err := env.Hosts.Host(ctx, fh)
	if err != nil {
		return steps.ProbeResult{}, err
	}
	sum, err := fhost.SHA256(ctx, fp)
	switch {
	case err != nil:
		return steps.ProbeResult{Why: fmt.Sprintf("the archive %s cannot be read: %v", c.File, err)}, nil
	case sum != m.SHA256:
		return steps.ProbeResult{Why: fmt.Sprintf("%s on %s was installed from another archive than %s", dst, c.Host, c.File)}, nil
	}
	drift, err := installedDrift(ctx, th, dst, m.Files)
	if err != nil {
		return steps.ProbeResult{}, fmt.Errorf("check the model installed at %s on %s: %w", dst, c.Host, err)
	}
	if drift != "" {
		return steps.ProbeResult{Why: fmt.Sprintf("in %s on %s, %s", dst, c.Host, drift)}, nil
	}
	_, _, modelID, _ := fate.ParsePartyModelID(pmid)
	out := outputs(c.Role, c.PartyID, modelID, version, "", sum)
	out["dir"] = dst
	return steps.ProbeResult{Done: true, Outputs: out}, nil
}

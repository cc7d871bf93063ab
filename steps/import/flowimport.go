package modelimport

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/planrun/planrun/fate"
	"github.com/planrun/planrun/fate/flow"
	"github.com/planrun/planrun/hosts"
	"github.com/planrun/planrun/steps"
)

func (k *Import) runFlow(ctx context.Context, env *steps.Env, c *Config) (steps.Outputs, error) {
	cl, err := k.client(env, c.Host)
	if err != nil {
		return nil, err
	}
	fh, fp := hosts.ParseAddress(c.File)
	h, err := env.Hosts.Host(ctx, fh)
	if err != nil {
		return nil, err
	}
	if l, ok := h.(*hosts.Local); ok && fh == hosts.LocalName {
		fp = l.Resolve(fp)
	}
	st, err := h.Stat(ctx, fp)
	if err != nil {
		return nil, fmt.Errorf("archive %s: %w", c.File, err)
	}
	if err := checkEntries(ctx, h, fp, st.Size()); err != nil {
		return nil, fmt.Errorf("archive %s: %w (not sent to FATE Flow)", c.File, err)
	}
	sum, err := h.SHA256(ctx, fp)
	if err != nil {
		return nil, fmt.Errorf("archive %s: %w", c.File, err)
	}
	if c.SHA256 != "" && !strings.EqualFold(c.SHA256, sum) {
		return nil, fmt.Errorf("archive %s has sha256 %s, want %s", c.File, sum, c.SHA256)
	}
	rate, err := steps.ParseRate(c.BWLimit)
	if err != nil {
		return nil, err
	}
	var progress steps.Progress = hosts.Paced(ctx, env.Progress, rate) // the upload reports each piece it reads
	progress.SetTotal(st.Size())
	req := flow.ImportRequest{Role: c.Role, PartyID: c.PartyID, ModelID: c.ModelID, ModelVersion: c.ModelVersion,
		File: fp, ForceUpdate: c.Force, Hash: sum, Progress: progress.Add,
		Open: func(ctx context.Context) (io.ReadCloser, int64, error) {
			rc, err := h.Open(ctx, fp)
			return rc, st.Size(), err
		}}
	resp, err := cl.Import(ctx, req)
	if errors.Is(err, flow.ErrAlreadyExists) {
		if c.Force {
			return nil, fmt.Errorf("%w (this server does not replace models even with force_update, as FATE 1.5–1.8 do not: remove the model on %s first)", err, c.Host)
		}
		same, why, cerr := k.sameAsServer(ctx, env, cl, c)
		if errors.Is(cerr, flow.ErrNotFound) {
			return nil, fmt.Errorf("%w, yet it cannot export it (%w): its database lists the model, whose files in model_local_cache are gone; "+
				"set force: true to import it again", err, cerr)
		}
		if cerr != nil {
			return nil, fmt.Errorf("%w; compare with the existing model: %w", err, cerr)
		}
		if !same {
			return nil, fmt.Errorf("%w, with different content (%s): set force: true to replace it", err, why)
		}
		if env.Log != nil {
			fmt.Fprintf(env.Log, "%s %s is already on %s with the same component buffers: nothing to import\n",
				fate.PartyModelID(c.Role, c.PartyID, c.ModelID), c.ModelVersion, c.Host)
		}
		return outputs(c.Role, c.PartyID, c.ModelID, c.ModelVersion, "", sum), nil
	}
	if err != nil {
		return nil, err
	}
	if env.Log != nil {
		fmt.Fprintf(env.Log, "imported %s (%d bytes, sha256 %s) into FATE Flow on %s: job %q %s\n", c.File, st.Size(), sum, c.Host, resp.JobID, resp.RetMsg)
	}
	return outputs(c.Role, c.PartyID, c.ModelID, c.ModelVersion, resp.JobID, sum), nil
}

// checkEntries reads the archive's central directory where it lies (local
// or over SFTP, without fetching the rest) and checks its entries as a
// native import would, before FATE Flow unpacks it.
func checkEntries(ctx context.Context, h hosts.Host, p string, size int64) error {
	rc, err := h.Open(ctx, p)
	if err != nil {
		return err
	}
	defer rc.Close()
	ra, ok := rc.(io.ReaderAt)
	if !ok {
		return fmt.Errorf("host %s cannot read the archive at an offset", h.Name())
	}
	zr, err := zip.NewReader(ra, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) { // refused below, with the entry named
		return fmt.Errorf("not a zip archive, or truncated: %w", err)
	}
	return fate.CheckZipEntries(zr.File, fate.ZipLimits{})
}

// sameAsServer exports the model the server holds and compares its
// component buffers with the archive's.
func (k *Import) sameAsServer(ctx context.Context, env *steps.Env, cl *flow.Client, c *Config) (bool, string, error) {
	rate, _ := steps.ParseRate(c.BWLimit) // checked by Validate
	ours, err := steps.FetchAt(ctx, env, c.File, "archive", rate)
	if err != nil {
		return false, "", err
	}
	dir := env.StepDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return false, "", err
	}
	f, err := os.CreateTemp(dir, "existing-*.zip")
	if err != nil {
		return false, "", err
	}
	defer os.Remove(f.Name())
	_, _, err = cl.Export(ctx, flow.ModelRef{Role: c.Role, PartyID: c.PartyID, ModelID: c.ModelID, ModelVersion: c.ModelVersion}, f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return false, "", err
	}
	return SameComponents(ours, f.Name())
}

type entry struct {
	crc  uint32
	size uint64
}

// componentEntries lists an archive's component buffers: every file under
// variables/data/ except the pipeline and the .json twins.
func componentEntries(p string) (map[string]entry, error) {
	zr, err := zip.OpenReader(p)
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	out := map[string]entry{}
	for _, f := range zr.File {
		n := f.Name
		if !strings.HasPrefix(n, "variables/data/") || strings.HasSuffix(n, "/") || strings.HasSuffix(n, ".json") ||
			strings.HasPrefix(n, "variables/data/pipeline/") {
			continue
		}
		out[n] = entry{f.CRC32, f.UncompressedSize64}
	}
	return out, nil
}

// SameComponents reports whether two model archives hold the same
// component buffers (by CRC-32 and size), and if not, why.
func SameComponents(a, b string) (bool, string, error) {
	ea, err := componentEntries(a)
	if err != nil {
		return false, "", err
	}
	eb, err := componentEntries(b)
	if err != nil {
		return false, "", err
	}
	var diffs []string
	for n, x := range ea {
		if y, ok := eb[n]; !ok {
			diffs = append(diffs, n+" missing there")
		} else if x != y {
			diffs = append(diffs, n+" differs")
		}
	}
	for n := range eb {
		if _, ok := ea[n]; !ok {
			diffs = append(diffs, n+" only there")
		}
	}
	sort.Strings(diffs)
	if len(ea) == 0 && len(eb) == 0 {
		return true, "", nil
	}
	if len(diffs) > 3 {
		diffs = append(diffs[:3], fmt.Sprintf("%d more", len(diffs)-3))
	}
	return len(diffs) == 0, strings.Join(diffs, ", "), nil
}

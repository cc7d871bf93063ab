package flow

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/textproto"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ImportRequest is FATE's import_model.json plus the archive to upload.
type ImportRequest struct {
	Role         string
	PartyID      int64
	ModelID      string
	ModelVersion string
	// File is the archive's path: opened locally unless Open is set, and
	// sent as the `file` conf field as FATE's CLI does. The uploaded part's
	// file name is its base name (".zip" is appended when missing: 1.5–1.8
	// servers infer the format from it).
	File        string
	ForceUpdate bool
	// Hash, when set, is the archive's sha256 (hex); 1.9+ servers verify it.
	Hash string
	// Open, when set, opens the archive (e.g. on another host) and returns
	// its size; File then only names it.
	Open func(ctx context.Context) (io.ReadCloser, int64, error)
	// Progress, when set, is called with the number of archive bytes sent.
	Progress func(n int64)
}

// ImportResponse is the answer of /v1/model/import. 1.9+ servers return
// the job id and the model; 1.5–1.8 return only retcode 0 "success" (the
// other fields are then empty).
type ImportResponse struct {
	JobID        string `json:"job_id"`
	Role         string `json:"role"`
	PartyID      string `json:"party_id"`
	ModelID      string `json:"model_id"`
	ModelVersion string `json:"model_version"`
	RetMsg       string `json:"-"`
}

// Import uploads a model archive to /v1/model/import as multipart/form-data:
// every conf key as a form field (force_update as "0"/"1", plus `hash` when
// set) and the archive as the part named `file`. A refusal because the
// model exists matches ErrAlreadyExists. The upload is never retried once
// the connection was opened.
func (c *Client) Import(ctx context.Context, in ImportRequest) (*ImportResponse, error) {
	party := in.Role + ":" + strconv.FormatInt(in.PartyID, 10)
	form := [][2]string{
		{"role", in.Role},
		{"party_id", strconv.FormatInt(in.PartyID, 10)},
		{"model_id", in.ModelID},
		{"model_version", in.ModelVersion},
		{"file", in.File},
		{"force_update", boolInt(in.ForceUpdate)},
	}
	if in.Hash != "" {
		form = append(form, [2]string{"hash", in.Hash})
	}
	name := filepath.Base(in.File)
	if !strings.HasSuffix(strings.ToLower(name), ".zip") {
		name += ".zip"
	}
	open := in.Open
	if open == nil {
		open = func(context.Context) (io.ReadCloser, int64, error) {
			f, err := os.Open(in.File)
			if err != nil {
				return nil, 0, err
			}
			st, err := f.Stat()
			if err != nil {
				f.Close()
				return nil, 0, err
			}
			return f, st.Size(), nil
		}
	}
	r := &request{op: "import", party: party, method: "POST", path: "/v1/model/import", form: form,
		body: func() (io.ReadCloser, int64, string, error) {
			return multipartBody(ctx, form, name, open, in.Progress)
		}}
	env, err := c.call(ctx, r)
	if err != nil {
		return nil, err
	}
	if *env.RetCode != 0 {
		return nil, c.retErr(r, env)
	}
	out := &ImportResponse{RetMsg: env.RetMsg}
	if len(env.Data) > 0 && string(env.Data) != "null" {
		var d struct {
			JobID        string          `json:"job_id"`
			Role         string          `json:"role"`
			PartyID      json.RawMessage `json:"party_id"`
			ModelID      string          `json:"model_id"`
			ModelVersion string          `json:"model_version"`
		}
		if json.Unmarshal(env.Data, &d) == nil {
			out.JobID, out.Role, out.ModelID, out.ModelVersion = d.JobID, d.Role, d.ModelID, d.ModelVersion
			out.PartyID = strings.Trim(string(d.PartyID), `"`)
		}
	}
	if out.JobID == "" {
		out.JobID = env.JobID
	}
	return out, nil
}

func boolInt(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// multipartBody encodes the form fields and the file part with a known
// length (FATE's server, like Python's requests, expects Content-Length).
func multipartBody(ctx context.Context, form [][2]string, filename string,
	open func(context.Context) (io.ReadCloser, int64, error), progress func(int64)) (io.ReadCloser, int64, string, error) {
	f, size, err := open(ctx)
	if err != nil {
		return nil, 0, "", fmt.Errorf("open archive: %w", err)
	}
	var head bytes.Buffer
	mw := multipart.NewWriter(&head)
	for _, kv := range form {
		if err := mw.WriteField(kv[0], kv[1]); err != nil {
			f.Close()
			return nil, 0, "", err
		}
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename="%s"`, escapeQuotes(filename)))
	h.Set("Content-Type", "application/zip")
	if _, err := mw.CreatePart(h); err != nil {
		f.Close()
		return nil, 0, "", err
	}
	prefix := append([]byte(nil), head.Bytes()...)
	head.Reset()
	mw.Close()
	suffix := append([]byte(nil), head.Bytes()...)
	body := &uploadBody{
		r: io.MultiReader(bytes.NewReader(prefix), &sized{r: f, want: size, progress: progress}, bytes.NewReader(suffix)),
		c: f,
	}
	return body, int64(len(prefix)) + size + int64(len(suffix)), mw.FormDataContentType(), nil
}

var quoteEscaper = strings.NewReplacer("\\", "\\\\", `"`, "\\\"")

func escapeQuotes(s string) string { return quoteEscaper.Replace(s) }

type uploadBody struct {
	r io.Reader
	c io.Closer
}

func (b *uploadBody) Read(p []byte) (int, error) { return b.r.Read(p) }
func (b *uploadBody) Close() error               { return b.c.Close() }

// sized fails when the archive is not the size announced (it changed
// while being sent).
type sized struct {
	r        io.Reader
	want, n  int64
	progress func(int64)
}

func (s *sized) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	s.n += int64(n)
	if n > 0 && s.progress != nil {
		s.progress(int64(n))
	}
	if s.n > s.want {
		return n, fmt.Errorf("archive grew while being sent (%d bytes announced)", s.want)
	}
	if err == io.EOF && s.n != s.want {
		return n, fmt.Errorf("archive shrank while being sent (%d of %d bytes)", s.n, s.want)
	}
	return n, err
}

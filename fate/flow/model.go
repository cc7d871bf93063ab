package flow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"regexp"
	"strconv"
	"strings"
)

// ModelRef names one party's model on a server.
type ModelRef struct {
	Role         string `json:"role"`
	PartyID      int64  `json:"party_id"`
	ModelID      string `json:"model_id"`
	ModelVersion string `json:"model_version"`
}

func (m ModelRef) party() string { return m.Role + ":" + strconv.FormatInt(m.PartyID, 10) }

var filenameRE = regexp.MustCompile(`filename=(.+)`)

// Export downloads a party's model archive (GET /v1/model/export with a
// JSON body, as FATE's CLI does) into w and returns the file name the
// server gave (Content-Disposition "filename=(.+)", reduced to a base
// name) and the bytes written. A missing model is an error matching
// ErrNotFound. Export is retried only before any byte reached w.
func (c *Client) Export(ctx context.Context, m ModelRef, w io.Writer) (string, int64, error) {
	r, err := c.jsonRequest("export", m.party(), "GET", "/v1/model/export", m, true)
	if err != nil {
		return "", 0, err
	}
	resp, cancel, err := c.send(ctx, r)
	if err != nil {
		return "", 0, err
	}
	defer cancel()
	defer resp.Body.Close()
	name, ok := attachment(resp)
	if !ok {
		return "", 0, c.answerError(ctx, r, resp)
	}
	n, err := io.Copy(w, resp.Body)
	if err != nil {
		return name, n, c.errorf(r, &Error{HTTPStatus: resp.StatusCode, Err: transportCause(ctx, err), Sent: true})
	}
	return name, n, nil
}

// Exists reports whether the server holds a party's model, by export-probe
// semantics: the export answer is the attachment (the body is not
// downloaded) → true; 404 (1.9+) or HTTP 210 (1.5–1.8) → false.
func (c *Client) Exists(ctx context.Context, m ModelRef) (bool, error) {
	r, err := c.jsonRequest("export", m.party(), "GET", "/v1/model/export", m, true)
	if err != nil {
		return false, err
	}
	resp, cancel, err := c.send(ctx, r)
	if err != nil {
		return false, err
	}
	defer cancel()
	defer resp.Body.Close()
	if _, ok := attachment(resp); ok {
		return true, nil
	}
	err = c.answerError(ctx, r, resp)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return false, err
}

func attachment(resp *http.Response) (string, bool) {
	if resp.StatusCode != http.StatusOK {
		return "", false
	}
	m := filenameRE.FindStringSubmatch(resp.Header.Get("Content-Disposition"))
	if m == nil {
		return "", false
	}
	name := strings.Trim(strings.TrimSpace(m[1]), `"`)
	name = path.Base(strings.ReplaceAll(name, `\`, "/"))
	if name == "." || name == "/" || name == ".." {
		name = ""
	}
	return name, true
}

// answerError reads a non-attachment answer and turns it into an error.
func (c *Client) answerError(ctx context.Context, r *request, resp *http.Response) error {
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return c.errorf(r, &Error{HTTPStatus: resp.StatusCode, Err: transportCause(ctx, err), Sent: true})
	}
	env, err := c.decode(r, resp, raw)
	if err != nil {
		return err
	}
	if *env.RetCode != 0 {
		return c.retErr(r, env)
	}
	return c.errorf(r, &Error{HTTPStatus: env.Status, RetCode: 0, HasRetCode: true, RetMsg: env.RetMsg,
		Summary: "the answer is not a model archive", Sent: true})
}

// Packaged is the answer of /v1/model/archive/packaging (1.9+).
type Packaged struct {
	PartyModelID string `json:"party_model_id"`
	ModelVersion string `json:"model_version"`
	Path         string `json:"path"`
	Hash         string `json:"hash"` // sha256 hex
}

// Packaging asks a 1.9+ server to (re)package a model and returns the
// archive's path on the server and its sha256. On 1.5–1.8 servers the
// endpoint does not exist: the error matches ErrUnsupported.
func (c *Client) Packaging(ctx context.Context, partyModelID, version string) (*Packaged, error) {
	body := map[string]string{"party_model_id": partyModelID, "model_version": version}
	r, err := c.jsonRequest("packaging", partyOf(partyModelID), "POST", "/v1/model/archive/packaging", body, true)
	if err != nil {
		return nil, err
	}
	env, err := c.call(ctx, r)
	if err != nil {
		return nil, err
	}
	if *env.RetCode != 0 {
		return nil, c.retErr(r, env)
	}
	var p Packaged
	if err := json.Unmarshal(env.Data, &p); err != nil || p.Path == "" {
		return nil, c.errorf(r, &Error{HTTPStatus: env.Status, RetCode: 0, HasRetCode: true, Summary: "answer has no data.path", Sent: true})
	}
	return &p, nil
}

// partyOf turns "role#id#model" into "role:id" for messages.
func partyOf(partyModelID string) string {
	parts := strings.SplitN(partyModelID, "#", 3)
	if len(parts) == 3 {
		return parts[0] + ":" + parts[1]
	}
	return ""
}

// DeployResponse is the answer of /v1/model/deploy.
type DeployResponse struct {
	ModelID      string
	ModelVersion string // the new (child) model version
	Parties      []PartyResult
}

// Deploy registers an imported model for serving (/v1/model/deploy
// {model_id, model_version}), on the server where the initiator's model
// is. It fails when any party failed, naming each. Not retried once sent.
func (c *Client) Deploy(ctx context.Context, modelID, version string) (*DeployResponse, error) {
	body := map[string]string{"model_id": modelID, "model_version": version}
	r, err := c.jsonRequest("deploy", "", "POST", "/v1/model/deploy", body, false)
	if err != nil {
		return nil, err
	}
	env, err := c.call(ctx, r)
	if err != nil {
		return nil, err
	}
	var data struct {
		ModelID      string `json:"model_id"`
		ModelVersion string `json:"model_version"`
	}
	_ = json.Unmarshal(env.Data, &data)
	parties, _ := parseMigrateData(stripKeys(env.Data, "model_id", "model_version"))
	out := &DeployResponse{ModelID: data.ModelID, ModelVersion: data.ModelVersion, Parties: parties}
	var failed []string
	for _, p := range parties {
		if p.RetCode != 0 {
			failed = append(failed, fmt.Sprintf("%s: retcode %d %q", p.Party(), p.RetCode, p.RetMsg))
		}
	}
	if *env.RetCode != 0 || len(failed) > 0 {
		e := &Error{HTTPStatus: env.Status, RetCode: *env.RetCode, HasRetCode: true, RetMsg: env.RetMsg, Sent: true}
		if len(failed) > 0 {
			e.Summary = "failed parties: " + strings.Join(failed, "; ")
		}
		return out, c.errorf(r, e)
	}
	return out, nil
}

func stripKeys(raw json.RawMessage, keys ...string) json.RawMessage {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return raw
	}
	for _, k := range keys {
		delete(m, k)
	}
	b, _ := json.Marshal(m)
	return b
}

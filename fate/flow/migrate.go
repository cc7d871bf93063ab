package flow

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// MigrateResponse is FATE Flow's answer to POST /v1/model/migrate.
type MigrateResponse struct {
	JobID   string
	RetCode int // 0, or 101 when a federated call raised
	RetMsg  string
	// Parties has one entry per executing party, sorted by role then id.
	Parties []PartyResult
}

// PartyResult is one executing party's outcome, from data.detail (and
// data.<role>.<id> for parties whose federated call raised: those have no
// detail).
type PartyResult struct {
	Role    string
	PartyID string // the old party id as the server wrote it
	RetCode int
	RetMsg  string
	// From a successful /migrate/do retmsg ("New model id is: X, model
	// version is: V. Model files can be found at 'P'."). X is the plain
	// new model id, not the party's: FATE 1.9+ prints the migrated
	// model's _model_id, 1.5–1.8 the job parameters' model_id. The
	// party model id appears only in /migrate/do's data, which /migrate
	// does not pass on.
	ModelID      string // new model id, as the server wrote it
	ModelVersion string
	Zip          string // path of the archive on the executing machine
	// PartyModelID is the new <role>#<new id>#<model_id>, read from the
	// archive's name (FATE names it <party model id>_<version>.zip); ""
	// when the name does not have that form. The new party id is known
	// only to the config that was submitted (migrate_role at the old
	// id's position in role).
	PartyModelID string
}

// Party is "role:party_id".
func (p PartyResult) Party() string { return p.Role + ":" + p.PartyID }

// Failed returns the parties whose migration failed. FATE's overall
// retcode stays 0 when a party fails, so this is what callers must check.
func (r *MigrateResponse) Failed() []PartyResult {
	var out []PartyResult
	for _, p := range r.Parties {
		if p.RetCode != 0 {
			out = append(out, p)
		}
	}
	return out
}

// Party returns the result for role:partyID, if the server reported one.
func (r *MigrateResponse) Party(role, partyID string) (PartyResult, bool) {
	for _, p := range r.Parties {
		if p.Role == role && p.PartyID == partyID {
			return p, true
		}
	}
	return PartyResult{}, false
}

var migratedRE = regexp.MustCompile(`New model id is: (.+?), model version is: (.+?)\. Model files can be found at '(.*)'`)

// ParseMigratedMessage extracts the new model id (the plain one, see
// PartyResult), the version and the archive's path from a successful
// /migrate/do retmsg.
func ParseMigratedMessage(msg string) (modelID, version, zip string, ok bool) {
	m := migratedRE.FindStringSubmatch(msg)
	if m == nil {
		return "", "", "", false
	}
	return m[1], m[2], m[3], true
}

// PartyModelIDOfZip reads the party model id from the name of the archive
// FATE made for role's migrated model: shutil.make_archive(TEMP/<party
// model id>_<version>, "zip") in every version, so the name is
// "<role>#<new id>#<modelID>_<version>.zip". It returns "" when the name
// is not of that form (a path FATE would not write).
func PartyModelIDOfZip(role, modelID, version, zip string) string {
	if role == "" || modelID == "" || version == "" {
		return ""
	}
	base := path.Base(zip)
	pmid, ok := strings.CutSuffix(base, "_"+version+".zip")
	if !ok {
		return ""
	}
	id, ok := strings.CutPrefix(pmid, role+"#")
	if !ok {
		return ""
	}
	id, ok = strings.CutSuffix(id, "#"+modelID)
	if !ok || id == "" || strings.Contains(id, "#") {
		return ""
	}
	return pmid
}

// Migrate posts FATE's migrate_model.json (cfg: json.RawMessage, []byte of
// JSON, or any JSON-encodable value) to /v1/model/migrate. It returns an
// error when the call as a whole failed (transport, non-JSON answer, a
// non-zero retcode without per-party data such as 100 "no need to
// migrate" or 101 "required argument are missing"). Per-party failures
// are in the response: check Failed().
//
// Migrate is never retried once the request may have reached the server.
func (c *Client) Migrate(ctx context.Context, cfg any) (*MigrateResponse, error) {
	var body []byte
	switch v := cfg.(type) {
	case json.RawMessage:
		body = v
	case []byte:
		body = v
	default:
		b, err := json.Marshal(cfg)
		if err != nil {
			return nil, fmt.Errorf("encode migrate config: %w", err)
		}
		body = b
	}
	if !json.Valid(body) {
		return nil, fmt.Errorf("encode migrate config: not valid JSON")
	}
	r := &request{op: "migrate", method: "POST", path: "/v1/model/migrate", json: body}
	env, err := c.call(ctx, r)
	if err != nil {
		return nil, err
	}
	resp := &MigrateResponse{JobID: env.JobID, RetCode: *env.RetCode, RetMsg: env.RetMsg}
	parties, perr := parseMigrateData(env.Data)
	if perr != nil || len(parties) == 0 {
		if *env.RetCode != 0 {
			return nil, c.retErr(r, env)
		}
		if perr != nil {
			return nil, c.errorf(r, &Error{HTTPStatus: env.Status, RetCode: 0, HasRetCode: true, RetMsg: env.RetMsg,
				Summary: "unexpected data: " + perr.Error(), Sent: true})
		}
	}
	resp.Parties = parties
	return resp, nil
}

// parseMigrateData reads {"<role>": {"<id>": code}, "detail": {"<role>":
// {"<id>": {"retcode", "retmsg"}}}}.
func parseMigrateData(raw json.RawMessage) ([]PartyResult, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var data map[string]json.RawMessage
	if err := json.Unmarshal(raw, &data); err != nil {
		return nil, fmt.Errorf("data is not an object")
	}
	byKey := map[string]*PartyResult{}
	var detail map[string]map[string]struct {
		RetCode *int   `json:"retcode"`
		RetMsg  string `json:"retmsg"`
	}
	if d, ok := data["detail"]; ok {
		if err := json.Unmarshal(d, &detail); err != nil {
			return nil, fmt.Errorf("data.detail: %v", err)
		}
	}
	for role, ids := range detail {
		for id, d := range ids {
			if role == "" || id == "" {
				return nil, fmt.Errorf("data.detail names a party without a role or an id")
			}
			p := &PartyResult{Role: role, PartyID: id, RetMsg: d.RetMsg, RetCode: 100}
			if d.RetCode != nil {
				p.RetCode = *d.RetCode
			}
			if p.RetCode == 0 {
				if mid, v, zip, ok := ParseMigratedMessage(d.RetMsg); ok {
					p.ModelID, p.ModelVersion, p.Zip = mid, v, zip
					p.PartyModelID = PartyModelIDOfZip(role, mid, v, zip)
				}
			}
			byKey[role+":"+id] = p
		}
	}
	for role, v := range data {
		if role == "detail" {
			continue
		}
		var codes map[string]json.Number
		if err := json.Unmarshal(v, &codes); err != nil {
			return nil, fmt.Errorf("data.%s: %v", role, err)
		}
		for id, code := range codes {
			if role == "" || id == "" {
				return nil, fmt.Errorf("data names a party without a role or an id")
			}
			if _, ok := byKey[role+":"+id]; ok {
				continue
			}
			n, _ := strconv.Atoi(code.String())
			if n == 0 {
				n = 100
			}
			byKey[role+":"+id] = &PartyResult{Role: role, PartyID: id, RetCode: n,
				RetMsg: "the federated call to this party failed (the server gave no detail)"}
		}
	}
	out := make([]PartyResult, 0, len(byKey))
	for _, p := range byKey {
		out = append(out, *p)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Role != out[j].Role {
			return out[i].Role < out[j].Role
		}
		a, ea := strconv.ParseInt(out[i].PartyID, 10, 64)
		b, eb := strconv.ParseInt(out[j].PartyID, 10, 64)
		if ea == nil && eb == nil {
			return a < b
		}
		return out[i].PartyID < out[j].PartyID
	})
	return out, nil
}

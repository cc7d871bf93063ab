package migrate

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/planrun/planrun/fate"
	"github.com/planrun/planrun/fate/flow"
	"github.com/planrun/planrun/steps"
)

func (m *Migrate) client(env *steps.Env, host string) (*flow.Client, error) {
	spec, ok := env.Hosts.Spec(host)
	if !ok {
		return nil, fmt.Errorf("host %s is not in the inventory", host)
	}
	return flow.ForHost(host, spec, m.lookup(), flow.Options{})
}

func (m *Migrate) runFlow(ctx context.Context, env *steps.Env, c *Config, mc *fate.MigrateConfig, raw []byte) (steps.Outputs, error) {
	cl, err := m.client(env, c.Host)
	if err != nil {
		return nil, err
	}
	body := raw
	var party fate.Party
	if c.Party != "" {
		if party, err = fate.ParseParty(c.Party); err != nil {
			return nil, fmt.Errorf("party: %w", err)
		}
		if !contains(mc.ExecuteParty[party.Role], party.PartyID) {
			return nil, fmt.Errorf("party %s is not in the config's execute_party", c.Party)
		}
		mc.ExecuteParty = map[string][]int64{party.Role: {party.PartyID}}
		if body, err = mc.MarshalJSON(); err != nil {
			return nil, err
		}
	}
	resp, err := cl.Migrate(ctx, body)
	if err != nil {
		return nil, err
	}
	if env.Log != nil {
		fmt.Fprintf(env.Log, "FATE Flow on %s: migrate job %s: retcode %d %q\n", c.Host, resp.JobID, resp.RetCode, resp.RetMsg)
		for _, p := range resp.Parties {
			fmt.Fprintf(env.Log, "  %s: retcode %d %q\n", p.Party(), p.RetCode, p.RetMsg)
		}
	}
	if failed := resp.Failed(); len(failed) > 0 {
		msgs := make([]string, len(failed))
		for i, p := range failed {
			msgs[i] = fmt.Sprintf("%s: retcode %d: %s", p.Party(), p.RetCode, p.RetMsg)
		}
		return nil, fmt.Errorf("migrate on %s (job %s): %d of %d parties failed: %s", c.Host, resp.JobID,
			len(failed), len(resp.Parties), strings.Join(msgs, "; "))
	}
	for i := range resp.Parties {
		fillPartyModelID(mc, &resp.Parties[i])
	}
	for _, p := range resp.Parties {
		if err := checkComponents(ctx, env, c.Host, mc, p); err != nil {
			return nil, err
		}
	}
	if c.Party != "" {
		p, ok := resp.Party(party.Role, strconv.FormatInt(party.PartyID, 10))
		if !ok {
			return nil, fmt.Errorf("migrate on %s (job %s): the server reported no result for %s", c.Host, resp.JobID, c.Party)
		}
		return partyOutputs(ctx, env, cl, c.Party, p), nil
	}
	if len(resp.Parties) == 1 {
		p := resp.Parties[0]
		return partyOutputs(ctx, env, cl, p.Party(), p), nil
	}
	out := steps.Outputs{}
	for _, p := range resp.Parties {
		po := partyOutputs(ctx, env, cl, p.Party(), p)
		out["model_id"], out["model_version"] = po["model_id"], po["model_version"]
		suffix := "_" + p.Role + "_" + p.PartyID
		for _, k := range []string{"zip", "party_model_id", "sha256"} {
			out[k+suffix] = po[k]
		}
	}
	return out, nil
}

// fillPartyModelID gives a migrated party its new party model id when the
// archive's name did not (FATE's answer names only the plain model id):
// role#<new id>#<model id>, the new id being migrate_role's at the old
// id's position in role, as FATE pairs them.
func fillPartyModelID(mc *fate.MigrateConfig, p *flow.PartyResult) {
	if p.RetCode != 0 || p.PartyModelID != "" || p.ModelID == "" {
		return
	}
	oldID, err := strconv.ParseInt(p.PartyID, 10, 64)
	if err != nil {
		return
	}
	if newID, ok := mc.NewPartyID(p.Role, oldID); ok {
		p.PartyModelID = fate.PartyModelID(p.Role, newID, p.ModelID)
	}
}

// partyOutputs are one migrated party's outputs. On 1.9+ servers the
// archive's path and sha256 come from /archive/packaging; 1.5–1.8 have no
// such endpoint, so the path is the one /migrate/do reported and the
// sha256 is unknown ("").
func partyOutputs(ctx context.Context, env *steps.Env, cl *flow.Client, party string, p flow.PartyResult) steps.Outputs {
	out := steps.Outputs{"party": party, "model_id": p.ModelID, "party_model_id": p.PartyModelID,
		"model_version": p.ModelVersion, "zip": p.Zip, "sha256": ""}
	if p.PartyModelID == "" {
		return out
	}
	pk, err := cl.Packaging(ctx, p.PartyModelID, p.ModelVersion)
	switch {
	case err == nil:
		out["zip"], out["sha256"] = pk.Path, pk.Hash
	case errors.Is(err, flow.ErrUnsupported):
	default:
		if env.Log != nil {
			fmt.Fprintf(env.Log, "  packaging %s %s: %v (keeping the path /migrate/do reported)\n", p.PartyModelID, p.ModelVersion, err)
		}
	}
	return out
}

// probeFlow: done when the migrated model exists on the server (1.9+
// keeps it), or when the zip recorded by the last success is still on the
// host with its recorded sha256 (1.5–1.8 delete the migrated directory).
func (m *Migrate) probeFlow(ctx context.Context, env *steps.Env, c *Config, last steps.Outputs) (steps.ProbeResult, error) {
	mc, _, err := load(c, env.BaseDir)
	if err != nil {
		return steps.ProbeResult{}, err
	}
	party, err := probeParty(c, mc)
	if err != nil || mc.UnifyModelVersion == "" {
		return steps.ProbeResult{}, nil
	}
	newID, mapped := mc.NewPartyID(party.Role, party.PartyID)
	if !mapped {
		return steps.ProbeResult{}, nil
	}
	cl, err := m.client(env, c.Host)
	if err != nil {
		return steps.ProbeResult{}, err
	}
	modelID := fate.GenModelID(mc.MigrateRole)
	ok, err := cl.Exists(ctx, flow.ModelRef{Role: party.Role, PartyID: newID, ModelID: modelID, ModelVersion: mc.UnifyModelVersion})
	if err != nil {
		return steps.ProbeResult{}, err
	}
	if ok {
		pmid := fate.PartyModelID(party.Role, newID, modelID)
		out := partyOutputs(ctx, env, cl, party.String(), flow.PartyResult{Role: party.Role,
			PartyID: strconv.FormatInt(party.PartyID, 10), PartyModelID: pmid, ModelID: modelID, ModelVersion: mc.UnifyModelVersion})
		if out["zip"] == "" && last != nil {
			out["zip"], out["sha256"] = last["zip"], last["sha256"]
		}
		return steps.ProbeResult{Done: true, Outputs: out}, nil
	}
	absent := fmt.Sprintf("the FATE Flow of %s has no model %s %s", c.Host, fate.PartyModelID(party.Role, newID, modelID), mc.UnifyModelVersion)
	zip, _ := last["zip"].(string)
	if zip == "" {
		return steps.ProbeResult{Why: absent}, nil
	}
	h, err := env.Hosts.Host(ctx, c.Host)
	if err != nil {
		return steps.ProbeResult{}, nil
	}
	if _, err := h.Stat(ctx, zip); err != nil {
		return steps.ProbeResult{Why: absent + ", and " + zip + " is gone"}, nil
	}
	if sum, _ := last["sha256"].(string); sum != "" {
		if got, err := h.SHA256(ctx, zip); err != nil || got != sum {
			return steps.ProbeResult{Why: absent + ", and " + zip + " no longer has the sha256 it was made with"}, nil
		}
	}
	return steps.ProbeResult{Done: true, Outputs: last}, nil
}

func probeParty(c *Config, mc *fate.MigrateConfig) (fate.Party, error) {
	if c.Party != "" {
		return fate.ParseParty(c.Party)
	}
	var ps []fate.Party
	for r, ids := range mc.ExecuteParty {
		for _, id := range ids {
			ps = append(ps, fate.Party{Role: r, PartyID: id})
		}
	}
	if len(ps) != 1 {
		return fate.Party{}, fmt.Errorf("several executing parties")
	}
	return ps[0], nil
}

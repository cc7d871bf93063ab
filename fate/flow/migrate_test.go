package flow_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/planrun/planrun/fate/flow"
	"github.com/planrun/planrun/fate/flow/flowtest"
)

func TestMigrateReadsEveryParty(t *testing.T) {
	for name, gen := range gens {
		t.Run(name, func(t *testing.T) {
			srv := flowtest.New(t, flowtest.Options{Generation: gen})
			putOldModels(srv)
			srv.FailParty("host", 10000, "Can not found host model local cache")
			c := client(t, srv, flow.Options{})
			resp, err := c.Migrate(context.Background(), migrateConf("SINGLE"))
			if err != nil {
				t.Fatal(err)
			}
			if resp.RetCode != 0 || resp.RetMsg != "success" {
				t.Errorf("overall = %d %q, want 0 success (FATE hides party failures)", resp.RetCode, resp.RetMsg)
			}
			var got []string
			for _, p := range resp.Failed() {
				got = append(got, p.Party()+" "+p.RetMsg)
			}
			if diff := cmp.Diff([]string{"host:10000 Can not found host model local cache"}, got); diff != "" {
				t.Errorf("failed parties (-want +got):\n%s", diff)
			}
			g, ok := resp.Party("guest", "9999")
			if !ok || g.RetCode != 0 {
				t.Fatalf("guest result = %+v", g)
			}
			wantPMID := "guest#99#" + newModelID
			if g.PartyModelID != wantPMID || g.ModelID != newModelID || g.ModelVersion != "20220101000000000000" {
				t.Errorf("guest new ids = %q %q %q", g.PartyModelID, g.ModelID, g.ModelVersion)
			}
			if _, err := os.Stat(g.Zip); err != nil {
				t.Errorf("zip from retmsg: %v", err)
			}
			if got := srv.Count("migrate"); got != 1 {
				t.Errorf("server saw %d migrate requests, want 1", got)
			}
		})
	}
}

func TestMigrateRaisedPartyHasNoDetail(t *testing.T) {
	srv := flowtest.New(t, flowtest.Options{})
	putOldModels(srv)
	srv.RaiseParty("arbiter", 10000, true)
	resp, err := client(t, srv, flow.Options{}).Migrate(context.Background(), migrateConf("MULTIPLE"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.RetCode != 101 || resp.RetMsg != "failed" {
		t.Errorf("overall = %d %q, want 101 failed", resp.RetCode, resp.RetMsg)
	}
	f := resp.Failed()
	if len(f) != 1 || f[0].Party() != "arbiter:10000" || f[0].RetCode != 100 || !strings.Contains(f[0].RetMsg, "no detail") {
		t.Errorf("failed = %+v", f)
	}
}

func TestMigrateWholeRequestErrors(t *testing.T) {
	noInit := migrateConf("SINGLE")
	delete(noInit, "migrate_initiator")
	noRoles := migrateConf("SINGLE")
	delete(noRoles, "migrate_role")
	delete(noRoles, "execute_party")
	same := migrateConf("SINGLE")
	same["migrate_role"] = oldRoles
	shape := migrateConf("SINGLE")
	shape["migrate_role"] = map[string][]int64{"guest": {99}, "host": {100, 101}, "arbiter": {100}}
	cases := map[string]struct {
		gen     flowtest.Generation
		conf    map[string]any
		retcode int
		msg     string
	}{
		"1.9+ missing keys":      {flowtest.Gen19, noRoles, 101, "required argument are missing: migrate_role,execute_party; "},
		"1.5 missing keys":       {flowtest.Gen15, noRoles, 100, "required parameters are missing: migrate_role,execute_party;"},
		"1.5 missing initiator":  {flowtest.Gen15, noInit, 100, "'migrate_initiator'"},
		"1.9+ nothing to change": {flowtest.Gen19, same, 100, "There is no need to migrate model."},
		"1.9+ role structure":    {flowtest.Gen19, shape, 100, "The structure of roles data"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			srv := flowtest.New(t, flowtest.Options{Generation: tc.gen})
			_, err := client(t, srv, flow.Options{}).Migrate(context.Background(), tc.conf)
			var fe *flow.Error
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want *flow.Error", err)
			}
			if fe.RetCode != tc.retcode || !strings.Contains(fe.RetMsg, tc.msg) || fe.Host != "new-guest" {
				t.Errorf("err = %v; want retcode %d with %q on new-guest", err, tc.retcode, tc.msg)
			}
		})
	}
}

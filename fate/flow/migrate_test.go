package flow_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
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
		"1.7 missing keys":       {flowtest.Gen17, noRoles, 101, "required argument are missing: migrate_role,execute_party; "},
		"1.7 missing initiator":  {flowtest.Gen17, noInit, 101, "required argument are missing: migrate_initiator; "},
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

// TestMigrateReadsFATEsOwnMessage feeds the client /migrate answers with
// the /migrate/do retmsg exactly as FATE Flow words it. The "New model id"
// there is the plain model id; the party model id is only in the
// archive's name, <party model id>_<version>.zip (make_archive on
// TEMP/<party model id>_<version>).
func TestMigrateReadsFATEsOwnMessage(t *testing.T) {
	const v = "202311251200000000001"
	msg := func(zip string) string {
		return "Migrating model successfully. The configuration of model has been modified automatically. " +
			"New model id is: " + newModelID + ", model version is: " + v + ". Model files can be found at '" + zip + "'."
	}
	guestPMID, hostPMID := "guest#99#"+newModelID, "host#100#"+newModelID
	cases := map[string]struct {
		guestZip, hostZip           string
		wantGuestPMID, wantHostPMID string
	}{
		// FF@v1.11.2 python/fate_flow/pipelined_model/migrate_model.py migration():
		//   f"New model id is: {migrate_model._model_id}, model version is: {migrate_model.model_version}. "
		// and the archive is under TEMP_DIRECTORY, <fate_flow base>/temp.
		"1.11.2": {
			"/data/projects/fate/fateflow/temp/" + guestPMID + "_" + v + ".zip",
			"/data/projects/fate/fateflow/temp/" + hostPMID + "_" + v + ".zip", guestPMID, hostPMID},
		// F@v1.5.1 python/fate_flow/pipelined_model/migrate_model.py migration() (FF@v1.8.0 the same):
		//   "New model id is: {}, model version is: {}. " \
		//   "Model files can be found at '{}'.".format(adapter.get_common_parameters().to_dict().get("model_id"),
		// and the archive is under TEMP_DIRECTORY, <project base>/temp/fate_flow.
		"1.5.1": {
			"/data/projects/fate/temp/fate_flow/" + guestPMID + "_" + v + ".zip",
			"/data/projects/fate/temp/fate_flow/" + hostPMID + "_" + v + ".zip", guestPMID, hostPMID},
		// Archive names FATE would not write (another name; another
		// role's) leave the party model id to the caller, which knows the
		// config's role mapping.
		"renamed archives": {"/tmp/model_" + v + ".zip", "/tmp/guest#100#" + newModelID + "_" + v + ".zip", "", ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			answer := mustJSON(map[string]any{"retcode": 0, "retmsg": "success", "jobId": v,
				"data": map[string]any{"guest": map[string]any{"9999": 0}, "host": map[string]any{"10000": 0},
					"detail": map[string]any{
						"guest": map[string]any{"9999": map[string]any{"retcode": 0, "retmsg": msg(tc.guestZip)}},
						"host":  map[string]any{"10000": map[string]any{"retcode": 0, "retmsg": msg(tc.hostZip)}}}}})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/v1/model/migrate" {
					http.NotFound(w, r)
					return
				}
				w.Header().Set("Content-Type", "application/json")
				w.Write(answer)
			}))
			defer srv.Close()
			c, err := flow.New(srv.URL, flow.Options{Host: "new-guest"})
			if err != nil {
				t.Fatal(err)
			}
			resp, err := c.Migrate(context.Background(), migrateConf("SINGLE"))
			if err != nil {
				t.Fatal(err)
			}
			want := []flow.PartyResult{
				{Role: "guest", PartyID: "9999", RetMsg: msg(tc.guestZip), ModelID: newModelID, ModelVersion: v,
					Zip: tc.guestZip, PartyModelID: tc.wantGuestPMID},
				{Role: "host", PartyID: "10000", RetMsg: msg(tc.hostZip), ModelID: newModelID, ModelVersion: v,
					Zip: tc.hostZip, PartyModelID: tc.wantHostPMID},
			}
			if diff := cmp.Diff(want, resp.Parties); diff != "" {
				t.Errorf("parties (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPartyModelIDOfZip(t *testing.T) {
	const mid = "arbiter-100#guest-99#host-20_100#model"
	cases := map[string]struct {
		role, zip, want string
	}{
		"FATE's name":           {"host", "/t/host#20#" + mid + "_v1.zip", "host#20#" + mid},
		"relative path":         {"host", "host#20#" + mid + "_v1.zip", "host#20#" + mid},
		"another version":       {"host", "/t/host#20#" + mid + "_v2.zip", ""},
		"another role":          {"guest", "/t/host#20#" + mid + "_v1.zip", ""},
		"another model id":      {"host", "/t/host#20#host-20#model_v1.zip", ""},
		"no party id":           {"host", "/t/host##" + mid + "_v1.zip", ""},
		"not a zip":             {"host", "/t/host#20#" + mid + "_v1.tar", ""},
		"directory of the name": {"host", "/t/host#20#" + mid + "_v1.zip/x.zip", ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := flow.PartyModelIDOfZip(tc.role, mid, "v1", tc.zip); got != tc.want {
				t.Errorf("PartyModelIDOfZip(%s, %s) = %q, want %q", tc.role, tc.zip, got, tc.want)
			}
		})
	}
}

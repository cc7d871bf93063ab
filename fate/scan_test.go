package fate

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"

	"github.com/planrun/planrun/fate/pb"
)

func TestPartyForms(t *testing.T) {
	f := newPartyForms(map[string][]int64{"guest": {9999}, "host": {10000, 20}})
	tests := map[string]bool{
		"guest:9999":                    true,
		"guest:99999":                   false,
		"host:20":                       true,
		"localhost:20":                  false,
		"(guest,9999)":                  true,
		"(guest, 9999)":                 true,
		"(guest,  9999)":                false,
		"guest,9999":                    false,
		"host_10000_x3":                 true,
		"host_10000":                    true,
		"host_100001_x":                 false,
		"host_10000x":                   false,
		"guest#9999#arbiter-1#model":    true,
		"guest#9999":                    false,
		"arbiter-10000#guest-9999#host": true,
		"host-20_100#model":             true,
		"host-100_20":                   true,
		"host-200#model":                false,
		"arbiter:10000":                 false, // arbiter has no old ids here
		"x0":                            false,
		"9999":                          false,
		"ghost:9999":                    false,
		"a guest:9999 b":                true,
	}
	for s, want := range tests {
		if got := f.match(s); got != want {
			t.Errorf("match(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestScanJSON(t *testing.T) {
	f := newPartyForms(map[string][]int64{"guest": {9999}, "host": {10000}})
	doc, err := parseJSON([]byte(`{"initiator": {"role": "guest", "party_id": 9999}, "local": {"role": "host", "party_id": "10000"},
		"other": {"role": "host", "party_id": 9999}, "role": {"guest": [9999], "host": [1, 10000]},
		"initiator_role": "host", "initiator_party_id": 10000, "names": ["host_10000_0", "x"], "map": {"guest:9999": 1}}`))
	if err != nil {
		t.Fatal(err)
	}
	var got [][2]string
	f.scanJSON(doc, "", func(field, value string) { got = append(got, [2]string{field, value}) })
	want := [][2]string{
		{"initiator.party_id", "9999"}, {"local.party_id", "10000"}, {"role.guest[0]", "9999"}, {"role.host[1]", "10000"},
		{"initiator_party_id", "10000"}, {"names[0]", "host_10000_0"}, {"map.guest:9999(key)", "guest:9999"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

func TestInspectFixture(t *testing.T) {
	info, err := Inspect(fixtureParty(t, "guest", "9999"))
	if err != nil {
		t.Fatal(err)
	}
	if info.ModelID != fixtureModelID || info.ModelVersion != fixtureVersion || info.FATEVersion != "1.4.2" ||
		info.Role != "guest" || info.PartyID != 9999 || info.Files != 7 {
		t.Errorf("info = %+v", info)
	}
	if diff := cmp.Diff([]RoleParties{{"guest", []int64{9999}}, {"host", []int64{10000}}, {"arbiter", []int64{10000}}}, info.Roles); diff != "" {
		t.Errorf("roles (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(&Party{"guest", 9999}, info.Initiator); diff != "" {
		t.Errorf("initiator (-want +got):\n%s", diff)
	}
	var mods []string
	for _, c := range info.Components {
		mods = append(mods, c.Name+"="+c.Module)
	}
	if diff := cmp.Diff([]string{"dataio_0=DataIO", "hetero_lr_0=HeteroLR", "pipeline=Pipeline"}, mods); diff != "" {
		t.Errorf("components (-want +got):\n%s", diff)
	}
	where := map[string]int{}
	for _, u := range info.PartyIDs {
		where[u.Role+":"+itoa(u.PartyID)+" "+u.File+" "+u.Field]++
	}
	for _, w := range []string{
		"guest:9999 pipeline.pb train_runtime_conf.role.guest[0]",
		"guest:9999 variables/data/pipeline/pipeline/Pipeline train_runtime_conf.initiator.party_id",
		"host:10000 variables/data/pipeline/pipeline/Pipeline model_id",
		"arbiter:10000 variables/data/pipeline/pipeline/Pipeline train_runtime_conf.role.arbiter[0]",
	} {
		if where[w] == 0 {
			t.Errorf("party id use %q not reported; have %v", w, where)
		}
	}
}

// The real FATE 1.4.2 data: migrate both parties, scan clean, decode again.
func TestMigrateFixtureParties(t *testing.T) {
	cfg := mustConfig(t, fixtureMigrate)
	for _, p := range []struct{ role, pid, newPMID string }{
		{"guest", "9999", "guest#99#arbiter-100#guest-99#host-100#model"},
		{"host", "10000", "host#100#arbiter-100#guest-99#host-100#model"},
	} {
		t.Run(p.role, func(t *testing.T) {
			res, err := Migrate(context.Background(), MigrateRequest{Src: fixtureParty(t, p.role, p.pid), OutDir: t.TempDir(), Config: cfg})
			if err != nil {
				t.Fatal(err)
			}
			if res.PartyModelID != p.newPMID {
				t.Errorf("party model id = %s, want %s", res.PartyModelID, p.newPMID)
			}
			residue, err := Scan(res.Zip, cfg.Changed())
			if err != nil {
				t.Fatal(err)
			}
			if len(residue) > 0 {
				t.Errorf("residue: %v", residue)
			}
			m, err := OpenModel(res.Zip, ZipLimits{})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			for _, md := range m.Define.Models {
				for _, b := range md.Buffers {
					data, _ := m.ReadFile(m.BufferPath(md, b.Name))
					mt := messageType(b.Proto)
					if mt == nil {
						t.Errorf("no message type for %s", b.Proto)
						continue
					}
					msg := mt.New().Interface()
					if err := unmarshalBuffer(data, msg); err != nil {
						t.Errorf("%s does not decode: %v", b.Name, err)
					}
				}
			}
			var want pb.Pipeline
			if proto.Equal(&want, m.Pipeline) {
				t.Error("empty pipeline")
			}
		})
	}
}

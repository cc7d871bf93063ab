package flow_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/planrun/planrun/fate"
	"github.com/planrun/planrun/fate/flow"
	"github.com/planrun/planrun/fate/flow/flowtest"
)

func writeZip(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func guestImport(file string, hash string) flow.ImportRequest {
	return flow.ImportRequest{Role: "guest", PartyID: 99, ModelID: newModelID, ModelVersion: version, File: file, Hash: hash}
}

func TestImportMultipartAsFATEParsesIt(t *testing.T) {
	for name, gen := range gens {
		t.Run(name, func(t *testing.T) {
			srv := flowtest.New(t, flowtest.Options{Generation: gen})
			zb := newZip("guest", 99)
			file := writeZip(t, "guest#99#"+newModelID+"_"+version+".zip", zb)
			var sent int64
			req := guestImport(file, sha(zb))
			req.Progress = func(n int64) { sent += n }
			resp, err := client(t, srv, flow.Options{}).Import(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			if sent != int64(len(zb)) {
				t.Errorf("progress = %d bytes, want %d", sent, len(zb))
			}
			if gen == flowtest.Gen19 {
				if resp.JobID == "" || resp.PartyID != "99" || resp.ModelID != newModelID || resp.ModelVersion != version {
					t.Errorf("1.9+ answer = %+v", resp)
				}
			} else if resp.RetMsg != "success" || resp.JobID != "" {
				t.Errorf("1.5 answer = %+v", resp)
			}
			reqs := srv.Requests()
			if len(reqs) != 1 {
				t.Fatalf("requests = %d", len(reqs))
			}
			r := reqs[0]
			want := map[string]string{"role": "guest", "party_id": "99", "model_id": newModelID,
				"model_version": version, "file": file, "force_update": "0", "hash": sha(zb)}
			if diff := cmp.Diff(want, r.Form); diff != "" {
				t.Errorf("form fields (-want +got):\n%s", diff)
			}
			if r.File != filepath.Base(file) || r.FileLen != int64(len(zb)) {
				t.Errorf("file part = %q (%d bytes)", r.File, r.FileLen)
			}
			if !srv.HasModel("guest", 99, newModelID, version) || srv.Imported() != 1 {
				t.Errorf("model not in the cache after import")
			}
		})
	}
}

func TestImportRefusals(t *testing.T) {
	zb := newZip("guest", 99)
	// A model trained by the old parties: guest 99 is not among its roles.
	oldZip := flowtest.ZipFiles(flowtest.ModelFiles(flowtest.Model{Role: "guest", PartyID: 9999, ModelID: oldModelID,
		ModelVersion: version, Roles: oldRoles, Initiator: fate.Party{Role: "guest", PartyID: 9999}}))
	cases := map[string]struct {
		gen      flowtest.Generation
		pre      bool // import once first
		req      func(file string) flow.ImportRequest
		zip      []byte
		status   int
		retcode  int
		msg      string
		isExists bool
	}{
		"1.9+ exists": {gen: flowtest.Gen19, pre: true, zip: zb, req: func(f string) flow.ImportRequest { return guestImport(f, "") },
			status: 409, retcode: 409, msg: "Model already exists.", isExists: true},
		"1.5 exists": {gen: flowtest.Gen15, pre: true, zip: zb, req: func(f string) flow.ImportRequest { return guestImport(f, "") },
			status: 200, retcode: 100, msg: "local cache already existed", isExists: true},
		"1.9+ hash mismatch": {gen: flowtest.Gen19, zip: zb, req: func(f string) flow.ImportRequest { return guestImport(f, strings.Repeat("0", 64)) },
			status: 200, retcode: 100, msg: "ValueError('Model archive hash mismatch. path: "},
		"1.9+ party not in role": {gen: flowtest.Gen19, zip: oldZip, req: func(f string) flow.ImportRequest { return guestImport(f, "") },
			status: 400, retcode: 400, msg: `Party id "99" is not in role "guest", please check if the party id and role is valid.`},
		"1.5 party not in roles": {gen: flowtest.Gen15, zip: oldZip, req: func(f string) flow.ImportRequest {
			r := guestImport(f, "")
			r.PartyID = 7
			return r
		}, status: 200, retcode: 100, msg: "party id {} is not in model roles, please check if the party id is valid."},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			srv := flowtest.New(t, flowtest.Options{Generation: tc.gen})
			c := client(t, srv, flow.Options{})
			file := writeZip(t, "m.zip", tc.zip)
			if tc.pre {
				if _, err := c.Import(context.Background(), tc.req(file)); err != nil {
					t.Fatal(err)
				}
			}
			_, err := c.Import(context.Background(), tc.req(file))
			var fe *flow.Error
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v", err)
			}
			if fe.HTTPStatus != tc.status || fe.RetCode != tc.retcode || !strings.Contains(fe.RetMsg, tc.msg) {
				t.Errorf("err = %v; want HTTP %d retcode %d %q", err, tc.status, tc.retcode, tc.msg)
			}
			if errors.Is(err, flow.ErrAlreadyExists) != tc.isExists {
				t.Errorf("errors.Is(ErrAlreadyExists) = %v", !tc.isExists)
			}
			if fe.Party != "guest:99" && fe.Party != "guest:7" {
				t.Errorf("error names party %q", fe.Party)
			}
		})
	}
}

func TestImportOverUnregisteredCache(t *testing.T) {
	// 1.9+: files in model_local_cache without a database row pass the 409
	// check and fail at unpack with FileExistsError (retcode 100).
	srv := flowtest.New(t, flowtest.Options{})
	srv.PutModel(flowtest.Model{Role: "guest", PartyID: 99, ModelID: newModelID, ModelVersion: version, Roles: newRoles,
		Initiator: fate.Party{Role: "guest", PartyID: 99}, Unregistered: true})
	_, err := client(t, srv, flow.Options{}).Import(context.Background(), guestImport(writeZip(t, "m.zip", newZip("guest", 99)), ""))
	var fe *flow.Error
	if !errors.As(err, &fe) || fe.RetCode != 100 || !errors.Is(err, flow.ErrAlreadyExists) ||
		fe.RetMsg != "FileExistsError('Model guest#99#"+newModelID+" "+version+" local cache already existed.')" {
		t.Errorf("err = %v", err)
	}
}

func TestImportForceReplaces(t *testing.T) {
	srv := flowtest.New(t, flowtest.Options{})
	c := client(t, srv, flow.Options{})
	file := writeZip(t, "m.zip", newZip("guest", 99))
	for i := 0; i < 2; i++ {
		r := guestImport(file, "")
		r.ForceUpdate = i == 1
		if _, err := c.Import(context.Background(), r); err != nil {
			t.Fatalf("import %d: %v", i, err)
		}
	}
	if got := srv.Requests()[1].Form["force_update"]; got != "1" {
		t.Errorf("force_update = %q, want 1", got)
	}
}

func TestExportExistsPackaging(t *testing.T) {
	for name, gen := range gens {
		t.Run(name, func(t *testing.T) {
			srv := flowtest.New(t, flowtest.Options{Generation: gen})
			putOldModels(srv)
			c := client(t, srv, flow.Options{})
			ctx := context.Background()
			ref := flow.ModelRef{Role: "guest", PartyID: 9999, ModelID: oldModelID, ModelVersion: version}
			var buf bytes.Buffer
			name, n, err := c.Export(ctx, ref, &buf)
			if err != nil {
				t.Fatal(err)
			}
			if name != "guest#9999#"+oldModelID+"_"+version+".zip" || n != int64(buf.Len()) || !bytes.HasPrefix(buf.Bytes(), []byte("PK")) {
				t.Errorf("export = %q, %d bytes", name, n)
			}
			ok, err := c.Exists(ctx, ref)
			if err != nil || !ok {
				t.Errorf("Exists = %v, %v; want true", ok, err)
			}
			missing := ref
			missing.PartyID = 1
			ok, err = c.Exists(ctx, missing)
			if err != nil || ok {
				t.Errorf("Exists(missing) = %v, %v; want false", ok, err)
			}
			_, _, err = c.Export(ctx, missing, &buf)
			wantStatus, wantMsg := 404, "does not exist."
			if gen != flowtest.Gen19 {
				wantStatus, wantMsg = 210, "is not exist."
			}
			var fe *flow.Error
			if !errors.As(err, &fe) || fe.HTTPStatus != wantStatus || !strings.Contains(fe.RetMsg, wantMsg) || !errors.Is(err, flow.ErrNotFound) {
				t.Errorf("export missing: %v", err)
			}
			p, err := c.Packaging(ctx, "guest#9999#"+oldModelID, version)
			if gen != flowtest.Gen19 {
				if !errors.Is(err, flow.ErrUnsupported) || !strings.Contains(err.Error(), "HTML page: 404 Not Found") {
					t.Errorf("1.5-1.8 packaging: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(p.Path)
			if err != nil || sha(b) != p.Hash {
				t.Errorf("packaging hash %s does not match %s (%v)", p.Hash, p.Path, err)
			}
		})
	}
}

func TestDeploy(t *testing.T) {
	srv := flowtest.New(t, flowtest.Options{})
	c := client(t, srv, flow.Options{})
	ctx := context.Background()
	if _, err := c.Deploy(ctx, newModelID, version); err == nil || !strings.Contains(err.Error(), "HTTP 404") {
		t.Errorf("deploy before import: %v", err)
	}
	for role, ids := range newRoles {
		r := flow.ImportRequest{Role: role, PartyID: ids[0], ModelID: newModelID, ModelVersion: version,
			File: writeZip(t, role+".zip", newZip(role, ids[0]))}
		if _, err := c.Import(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	d, err := c.Deploy(ctx, newModelID, version)
	if err != nil {
		t.Fatal(err)
	}
	if d.ModelID != newModelID || d.ModelVersion == version || len(d.Parties) != 3 {
		t.Errorf("deploy = %+v", d)
	}
}

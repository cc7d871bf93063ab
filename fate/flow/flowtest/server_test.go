package flowtest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/planrun/planrun/fate/flow/flowtest"
)

// post sends a raw request so the tests see the server exactly as FATE's
// clients (curl, requests) would.
func post(t *testing.T, srv *flowtest.Server, path, ctype string, body []byte) (int, map[string]any, string) {
	t.Helper()
	resp, err := srv.Client().Post(srv.URL+path, ctype, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return resp.StatusCode, m, string(raw)
}

func form(fields map[string]string, file []byte, name string) ([]byte, string) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for k, v := range fields {
		w.WriteField(k, v)
	}
	if file != nil {
		fw, _ := w.CreateFormFile("file", name)
		fw.Write(file)
	}
	w.Close()
	return b.Bytes(), w.FormDataContentType()
}

func TestRawContract(t *testing.T) {
	full := map[string]string{"role": "guest", "party_id": "99", "model_id": "m", "model_version": "1"}
	noFile, noFileCT := form(full, nil, "")
	partial, partialCT := form(map[string]string{"role": "guest", "party_id": "99"}, []byte("PK"), "m.zip")
	badForce := map[string]string{"force_update": "yes"}
	for k, v := range full {
		badForce[k] = v
	}
	badForceBody, badForceCT := form(badForce, []byte("PK"), "m.zip")
	cases := map[string]struct {
		gen     flowtest.Generation
		path    string
		ctype   string
		body    []byte
		status  int
		retcode float64
		msg     string
	}{
		"1.9+ import no file":        {flowtest.Gen19, "/v1/model/import", noFileCT, noFile, 400, 400, "`file` is required."},
		"1.5 import no file":         {flowtest.Gen15, "/v1/model/import", noFileCT, noFile, 200, 100, "'NoneType' object has no attribute 'filename'"},
		"1.9+ import missing fields": {flowtest.Gen19, "/v1/model/import", partialCT, partial, 200, 101, "required argument are missing: model_id,model_version; "},
		"1.5 import missing fields":  {flowtest.Gen15, "/v1/model/import", partialCT, partial, 200, 100, "required parameters are missing: model_id,model_version;"},
		"1.7 import missing fields":  {flowtest.Gen17, "/v1/model/import", partialCT, partial, 200, 101, "required argument are missing: model_id,model_version; "},
		"1.7 import no file":         {flowtest.Gen17, "/v1/model/import", noFileCT, noFile, 200, 100, "'NoneType' object has no attribute 'filename'"},
		"1.7 export json body":       {flowtest.Gen17, "/v1/model/export", "text/plain", []byte(`{"role":"guest","party_id":1,"model_id":"m","model_version":"1"}`), 210, 210, "Model guest#1#m 1 is not exist."},
		"1.9+ force_update not int":  {flowtest.Gen19, "/v1/model/import", badForceCT, badForceBody, 200, 100, "invalid literal for int()"},
		"1.9+ export json body":      {flowtest.Gen19, "/v1/model/export", "application/json", []byte(`{"role":"guest","party_id":1,"model_id":"m","model_version":"1"}`), 404, 404, "Model guest#1#m 1 does not exist."},
		"1.5 export json body":       {flowtest.Gen15, "/v1/model/export", "text/plain", []byte(`{"role":"guest","party_id":1,"model_id":"m","model_version":"1"}`), 210, 210, "Model guest#1#m 1 is not exist."},
		"1.9+ deploy missing":        {flowtest.Gen19, "/v1/model/deploy", "application/json", []byte(`{"model_id":"m","model_version":"1"}`), 404, 404, "Deploy model failed. Model m 1 not found."},
		"1.9+ migrate/do no model":   {flowtest.Gen19, "/v1/model/migrate/do", "application/json", []byte(`{"model_id":"m","model_version":"1","unify_model_version":"2","migrate_role":{"guest":[2],"host":[3]},"migrate_initiator":{"role":"guest","party_id":2},"local":{"role":"guest","party_id":1,"migrate_party_id":2}}`), 200, 100, "Can not found m 1 model local cache"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			srv := flowtest.New(t, flowtest.Options{Generation: tc.gen})
			status, m, raw := post(t, srv, tc.path, tc.ctype, tc.body)
			if status != tc.status || m["retcode"] != tc.retcode || !strings.Contains(m["retmsg"].(string), tc.msg) {
				t.Errorf("answer = %d %s; want %d retcode %v %q", status, raw, tc.status, tc.retcode, tc.msg)
			}
		})
	}
}

func TestUnknownRouteAndOldPackagingAreFlask404(t *testing.T) {
	for _, gen := range []flowtest.Generation{flowtest.Gen15, flowtest.Gen19} {
		srv := flowtest.New(t, flowtest.Options{Generation: gen})
		status, _, raw := post(t, srv, "/v1/model/nope", "application/json", []byte(`{}`))
		if status != 404 || !strings.Contains(raw, "<title>404 Not Found</title>") {
			t.Errorf("%v unknown route: %d %s", gen, status, raw)
		}
	}
	srv := flowtest.New(t, flowtest.Options{Generation: flowtest.Gen15})
	status, _, raw := post(t, srv, "/v1/model/archive/packaging", "application/json", []byte(`{"party_model_id":"a","model_version":"1"}`))
	if status != 404 || !strings.HasPrefix(raw, "<!doctype html>") {
		t.Errorf("1.5 packaging: %d %s", status, raw)
	}
	_ = http.StatusOK
}

package flowtest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

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

// TestRoutesAsFlask: requests reach FATE Flow's model blueprint as
// Werkzeug routes them. Any one-segment path is operate_model's
// /<model_operation> (POST or GET), so /v1/model/nope is an argument
// error or "not supported", not a 404; a path no rule matches is Flask's
// HTML 404 before 1.9 and, caught by 1.9+'s errorhandler(Exception),
// retcode 100 with the exception's repr from 1.9.
func TestRoutesAsFlask(t *testing.T) {
	args := []byte(`{"model_id":"m","model_version":"1","role":"guest","party_id":1}`)
	html404 := "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 3.2 Final//EN\">\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n" +
		"<p>The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.</p>\n"
	html405 := "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 3.2 Final//EN\">\n<title>405 Method Not Allowed</title>\n" +
		"<h1>Method Not Allowed</h1>\n<p>The method is not allowed for the requested URL.</p>\n"
	cases := map[string]struct {
		gen          flowtest.Generation
		method, path string
		body         []byte
		status       int
		want         string
		allow        string
	}{
		"1.5 unknown operation":           {flowtest.Gen15, "POST", "/v1/model/nope", []byte(`{}`), 200, `{"retcode":100,"retmsg":"Can not support this operating now: nope"}`, ""},
		"1.7 unknown operation, no args":  {flowtest.Gen17, "POST", "/v1/model/nope", []byte(`{}`), 200, `{"retcode":101,"retmsg":"required argument are missing: model_id,model_version,role,party_id; "}`, ""},
		"1.7 unknown operation":           {flowtest.Gen17, "POST", "/v1/model/nope", args, 200, `{"retcode":100,"retmsg":"Can not support this operating now: nope"}`, ""},
		"1.9+ unknown operation":          {flowtest.Gen19, "GET", "/v1/model/nope", args, 200, `{"retcode":100,"retmsg":"Exception('Not supported model operation: \"nope\".')"}`, ""},
		"1.9+ GET of a POST-only name":    {flowtest.Gen19, "GET", "/v1/model/migrate", []byte(`{}`), 200, `{"retcode":101,"retmsg":"required argument are missing: model_id,model_version,role,party_id; "}`, ""},
		"1.9+ no such path":               {flowtest.Gen19, "POST", "/v1/model/a/b/c", []byte(`{}`), 200, `{"retcode":100,"retmsg":"<NotFound '404: Not Found'>"}`, ""},
		"1.9+ method not allowed":         {flowtest.Gen19, "GET", "/v1/model/migrate/do", []byte(`{}`), 200, `{"retcode":100,"retmsg":"<MethodNotAllowed '405: Method Not Allowed'>"}`, ""},
		"1.7 no such path":                {flowtest.Gen17, "POST", "/v1/model/a/b/c", []byte(`{}`), 404, html404, ""},
		"1.7 packaging is 1.9+":           {flowtest.Gen17, "POST", "/v1/model/archive/packaging", []byte(`{"party_model_id":"a","model_version":"1"}`), 404, html404, ""},
		"1.5 outside the model blueprint": {flowtest.Gen15, "POST", "/v1/nope", []byte(`{}`), 404, html404, ""},
		"1.7 method not allowed":          {flowtest.Gen17, "GET", "/v1/model/migrate/do", []byte(`{}`), 405, html405, "OPTIONS, POST"},
		"1.9+ a route flowtest lacks":     {flowtest.Gen19, "POST", "/v1/model/load", []byte(`{}`), 501, "flowtest does not model POST /v1/model/load\n", ""},
		"1.9+ a valid operation it lacks": {flowtest.Gen19, "POST", "/v1/model/store", args, 501, "flowtest does not model POST /v1/model/store\n", ""},
		"1.5 load is no model operation":  {flowtest.Gen15, "GET", "/v1/model/load", args, 200, `{"retcode":100,"retmsg":"Can not support this operating now: load"}`, ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			srv := flowtest.New(t, flowtest.Options{Generation: tc.gen})
			req, _ := http.NewRequest(tc.method, srv.URL+tc.path, bytes.NewReader(tc.body))
			req.Header.Set("Content-Type", "application/json")
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			same := string(raw) == tc.want
			if strings.HasPrefix(tc.want, "{") {
				same = cmp.Equal(jsonOf(t, []byte(tc.want)), jsonOf(t, raw))
			}
			if resp.StatusCode != tc.status || !same || resp.Header.Get("Allow") != tc.allow {
				t.Errorf("answer = %d (Allow %q) %q; want %d (Allow %q) %q", resp.StatusCode, resp.Header.Get("Allow"), raw, tc.status, tc.allow, tc.want)
			}
		})
	}
}

const pipelinePath = "variables/data/pipeline/pipeline/Pipeline"

func jsonOf(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return v
}

package flow

import (
	"encoding/json"
	"path"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseMigrateData: any "data" of a /v1/model/migrate answer is read
// without a panic, to per-party results that each name their party, or
// an error; a party model id is only ever the archive's name taken apart.
func FuzzParseMigrateData(f *testing.F) {
	for _, s := range []string{
		`{"guest": {"99": 0}, "detail": {"guest": {"99": {"retcode": 0, "retmsg": "Migrating model successfully. The configuration of model has been modified automatically. New model id is: arbiter-100#guest-99#host-100#model, model version is: 202311251200000000001. Model files can be found at '/data/projects/fate/fateflow/temp/guest#99#arbiter-100#guest-99#host-100#model_202311251200000000001.zip'."}}}}`,
		`{"host": {"100": 100}}`, `null`, `{"detail": {"arbiter": {"100": {"retmsg": "x"}}}}`, `[]`, `{"guest": "x"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		res, err := parseMigrateData(json.RawMessage(raw))
		if err != nil {
			return
		}
		for _, p := range res {
			if p.Role == "" && p.PartyID == "" {
				t.Fatalf("%q: a result names no party: %+v", raw, p)
			}
			if p.PartyModelID != "" && (!strings.HasPrefix(p.PartyModelID, p.Role+"#") || !strings.HasSuffix(p.PartyModelID, "#"+p.ModelID) ||
				path.Base(p.Zip) != p.PartyModelID+"_"+p.ModelVersion+".zip") {
				t.Fatalf("%q: party model id %q is not <role>#<id>#<model id> of the zip's name: %+v", raw, p.PartyModelID, p)
			}
		}
	})
}

// FuzzSummarize: any answer that is not JSON is described in one line of
// valid UTF-8, of bounded length.
func FuzzSummarize(f *testing.F) {
	f.Add("text/html", []byte("<html><head><title>502 Bad Gateway</title></head><body><h1>nginx</h1></body></html>"))
	f.Add("text/plain", []byte("Internal Server Error\n\nTraceback (most recent call last):"))
	f.Add("", []byte{})
	f.Fuzz(func(t *testing.T, ctype string, body []byte) {
		s := summarize(ctype, body)
		if strings.ContainsAny(s, "\n\r") || !utf8.ValidString(s) {
			t.Fatalf("summary %q is not one line of valid UTF-8", s)
		}
		if n := utf8.RuneCountInString(s); n > 120+len(ctype)+64 {
			t.Fatalf("summary of %d runes: %q", n, s)
		}
	})
}

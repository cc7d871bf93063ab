package hosts_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/planrun/planrun/hosts"
)

// TestParseFlowURL: a FATE Flow URL with a user or password is refused
// (the secret goes in flow_secret_env), and no error shows the password.
func TestParseFlowURL(t *testing.T) {
	tests := map[string]struct {
		in, wantErr string
	}{
		"plain":             {"http://10.1.0.5:9380", ""},
		"https with prefix": {" https://flow.example/api/v1 ", ""},
		"user and password": {"http://admin:Passw0rdXYZ@127.0.0.1:9/", `parse FATE Flow URL "http://***@127.0.0.1:9/": no user or password in the URL`},
		"user alone":        {"http://tokenXYZ1234@127.0.0.1:9/", `parse FATE Flow URL "http://***@127.0.0.1:9/": no user or password in the URL`},
		"unparsable":        {"http://admin:Pass w0rdXYZ@127.0.0.1:9/", `parse FATE Flow URL "http://***@127.0.0.1:9/": net/url: invalid userinfo`},
		"no scheme":         {"admin:Passw0rdXYZ@127.0.0.1:9", `parse FATE Flow URL "***@127.0.0.1:9": `},
		"ftp":               {"ftp://h/", `parse FATE Flow URL "ftp://h/": scheme must be http or https`},
		"no host":           {"http:///x", `parse FATE Flow URL "http:///x": no host`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			u, err := hosts.ParseFlowURL(tc.in)
			if tc.wantErr == "" {
				if err != nil || u.Host == "" {
					t.Fatalf("ParseFlowURL(%q) = %v, %v", tc.in, u, err)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tc.wantErr) {
				t.Fatalf("ParseFlowURL(%q) error = %v, want %q...", tc.in, err, tc.wantErr)
			}
			if strings.Contains(err.Error(), "Passw") || strings.Contains(err.Error(), "tokenXYZ") {
				t.Errorf("error shows the password: %v", err)
			}
			if strings.Contains(tc.wantErr, "no user or password") != errors.Is(err, hosts.ErrFlowUserinfo) {
				t.Errorf("errors.Is(%v, ErrFlowUserinfo) = %v", err, !strings.Contains(tc.wantErr, "no user"))
			}
		})
	}
}

func TestRedactURL(t *testing.T) {
	tests := map[string]string{
		"http://10.1.0.5:9380":              "http://10.1.0.5:9380",
		"http://a:b@h:1/p@q?x=y@z#f@g":      "http://***@h:1/p@q?x=y@z#f@g",
		"http://a@b:c@h/":                   "http://***@h/",
		"a:b@h":                             "***@h",
		"not a url":                         "not a url",
		"http://${{ vars.FLOW_HOST }}:9380": "http://${{ vars.FLOW_HOST }}:9380",
	}
	for in, want := range tests {
		if got := hosts.RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

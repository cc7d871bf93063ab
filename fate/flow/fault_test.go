package flow_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/planrun/planrun/fate/flow"
	"github.com/planrun/planrun/fate/flow/flowtest"
	"github.com/planrun/planrun/internal/testnet"
)

func TestSigning(t *testing.T) {
	cases := map[string]struct {
		key, secret string
		ok          bool
		msg         string
	}{
		"signed":       {"planrun", "s3cret-value", true, ""},
		"wrong secret": {"planrun", "not-the-secret", false, "signature authentication failed"},
		"unknown key":  {"other", "s3cret-value", false, "Unknown APP_KEY"},
		"unsigned":     {"", "", false, "requirement headers parameters"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			srv := flowtest.New(t, flowtest.Options{AppKey: "planrun", Secret: "s3cret-value"})
			putOldModels(srv)
			c := client(t, srv, flow.Options{AppKey: tc.key, Secret: tc.secret})
			ctx := context.Background()
			// JSON body (migrate), GET with JSON body (export probe), and a
			// multipart form (import): each signs a different part.
			_, err1 := c.Migrate(ctx, migrateConf("SINGLE"))
			_, err2 := c.Exists(ctx, flow.ModelRef{Role: "guest", PartyID: 9999, ModelID: oldModelID, ModelVersion: version})
			_, err3 := c.Import(ctx, guestImport(writeZip(t, "g.zip", newZip("guest", 99)), ""))
			for i, err := range []error{err1, err2, err3} {
				if tc.ok && err != nil {
					t.Errorf("call %d: %v", i, err)
				}
				if !tc.ok {
					var fe *flow.Error
					if !errors.As(err, &fe) || fe.RetCode != 109 || !strings.Contains(fe.RetMsg, tc.msg) {
						t.Errorf("call %d: err = %v, want retcode 109 %q", i, err, tc.msg)
					}
					if tc.secret != "" && strings.Contains(err.Error(), tc.secret) {
						t.Errorf("error shows the secret: %v", err)
					}
				}
			}
			if tc.ok {
				h := srv.Requests()[0].Header
				if h.Get("APP_KEY") != "planrun" || len(h.Get("NONCE")) != 36 || len(h.Get("TIMESTAMP")) != 13 {
					t.Errorf("headers = %v", h)
				}
			}
		})
	}
}

func TestSignatureKnownValue(t *testing.T) {
	// The string to sign is timestamp, nonce, app key, path, JSON body and
	// the sorted url-encoded form, joined by "\n" (FATE's client_authentication).
	got := flow.Signature("secret", "1700000000000", "n-1", "key", "/v1/model/import", nil,
		[][2]string{{"role", "guest"}, {"file", "/tmp/a b#c.zip"}, {"party_id", "99"}})
	if flow.EncodeForm([][2]string{{"role", "guest"}, {"file", "/tmp/a b#c.zip"}}) != "file=%2Ftmp%2Fa%20b%23c.zip&role=guest" {
		t.Errorf("form encoding = %q", flow.EncodeForm([][2]string{{"role", "guest"}, {"file", "/tmp/a b#c.zip"}}))
	}
	// Computed independently: printf '1700000000000\nn-1\nkey\n/v1/model/import\n\nfile=%%2Ftmp%%2Fa%%20b%%23c.zip&party_id=99&role=guest' | openssl dgst -sha1 -hmac secret -binary | base64
	const want = "qRjaV68N0Dh8JFPdgWOU5vpci88="
	if got != want {
		t.Errorf("signature = %s, want %s", got, want)
	}
}

// faultCases: every misbehaviour, and whether the operation is safe to retry.
func TestFaults(t *testing.T) {
	type call func(c *flow.Client) error
	ctx := context.Background()
	migrate := func(c *flow.Client) error { _, err := c.Migrate(ctx, migrateConf("SINGLE")); return err }
	var zipFile string
	upload := func(c *flow.Client) error { _, err := c.Import(ctx, guestImport(zipFile, "")); return err }
	probe := func(c *flow.Client) error {
		_, err := c.Exists(ctx, flow.ModelRef{Role: "guest", PartyID: 9999, ModelID: oldModelID, ModelVersion: version})
		return err
	}
	cases := map[string]struct {
		op       string
		fault    flowtest.Fault
		do       call
		requests int // how many the server must have seen
		msg      string
	}{
		"migrate HTML page":    {"migrate", flowtest.FaultHTML, migrate, 1, "HTTP 502, HTML page: 502 Bad Gateway"},
		"migrate non-JSON":     {"migrate", flowtest.FaultNonJSON, migrate, 1, "answer is not JSON (text/plain): fate_flow is restarting"},
		"migrate slow":         {"migrate", flowtest.FaultSlow, migrate, 1, "no answer within 300ms"},
		"import reset":         {"import", flowtest.FaultReset, upload, 1, "flow import for guest:99 on new-guest"},
		"import slow":          {"import", flowtest.FaultSlow, upload, 1, "no answer within 300ms"},
		"import HTML page":     {"import", flowtest.FaultHTML, upload, 1, "HTML page: 502 Bad Gateway"},
		"export HTML retried":  {"export", flowtest.FaultHTML, probe, 3, "HTTP 502"},
		"export reset retried": {"export", flowtest.FaultReset, probe, 3, "flow export for guest:9999 on new-guest"},
		"export non-JSON":      {"export", flowtest.FaultNonJSON, probe, 1, "answer is not JSON"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			srv := flowtest.New(t, flowtest.Options{SlowFor: 5 * time.Second})
			putOldModels(srv)
			zipFile = writeZip(t, "g.zip", newZip("guest", 99))
			srv.SetFault(tc.op, tc.fault)
			c := client(t, srv, flow.Options{Timeout: 300 * time.Millisecond, Backoff: time.Millisecond})
			err := tc.do(c)
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.msg)
			}
			if got := srv.Count(tc.op); got != tc.requests {
				t.Errorf("server saw %d %s requests, want %d", got, tc.op, tc.requests)
			}
			if srv.Imported() != 0 {
				t.Errorf("an import went through")
			}
			if len(err.Error()) > 300 {
				t.Errorf("error is not a summary (%d chars): %s", len(err.Error()), err)
			}
		})
	}
}

func TestUnreachable(t *testing.T) {
	addr := testnet.RefusedAddr(t)
	c, err := flow.New("http://"+addr, flow.Options{Host: "new-guest", Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Migrate(context.Background(), migrateConf("SINGLE"))
	var fe *flow.Error
	if !errors.As(err, &fe) || fe.Sent || !strings.Contains(err.Error(), "connection refused") ||
		!strings.Contains(err.Error(), "flow migrate on new-guest") {
		t.Errorf("err = %v", err)
	}
}

func TestUntrustedTLS(t *testing.T) {
	srv := flowtest.New(t, flowtest.Options{TLS: true})
	c, err := flow.New(srv.URL, flow.Options{Host: "new-guest", HTTPClient: &http.Client{}, Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Import(context.Background(), guestImport(writeZip(t, "g.zip", newZip("guest", 99)), ""))
	if err == nil || !strings.Contains(err.Error(), "certificate") || !strings.Contains(err.Error(), "flow import for guest:99 on new-guest") {
		t.Errorf("err = %v", err)
	}
	if srv.Count("import") != 0 {
		t.Errorf("the server answered an untrusted client")
	}
	// The same server with its certificate trusted works.
	ok := client(t, srv, flow.Options{})
	if _, err := ok.Import(context.Background(), guestImport(writeZip(t, "g.zip", newZip("guest", 99)), "")); err != nil {
		t.Errorf("trusted: %v", err)
	}
}

func TestNewRejectsBadURL(t *testing.T) {
	for _, u := range []string{"10.0.0.1:9380", "ftp://x", "http://"} {
		if _, err := flow.New(u, flow.Options{}); err == nil {
			t.Errorf("New(%q) accepted", u)
		}
	}
}

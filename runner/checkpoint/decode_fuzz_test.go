package checkpoint

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzDecodeEvent: the fast path decodes every line exactly as
// encoding/json does: the same event, or an error from both.
func FuzzDecodeEvent(f *testing.F) {
	for _, s := range []string{
		`{"version":1,"seq":3,"time":"2026-11-26T10:00:00.123456789Z","run":"r1","type":"step_succeeded","step":"copy","attempt":1,"fingerprint":"ab","outputs":{"path":"x","bytes":12,"ok":true,"n":null,"f":1.5e3},"duration_ms":5,"duration_us":5123}`,
		`{"version":1,"seq":1,"time":"2026-11-26T10:00:00Z","run":"r","type":"run_started"}`,
		`{"type":"x","outputs":{"a":{"b":[1,2]}}}`, `{"seq":-0}`, `{"seq":1e2}`, `{"run":"\u00e9"}`, `{}`, `{"seq":9223372036854775808}`,
		`{"error":"a\"b"}`, `{"redacted":{"t":"d1"},"redacted":{"u":"d2"}}`, `{"time":"not a time"}`, `{"Seq":1}`, `{"seq":1,"seq":2}`, `{"outputs":{"k":"v","k":"w"}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var got, want Event
		gotErr := decodeEvent(b, &got)
		wantErr := json.Unmarshal(b, &want)
		if (gotErr != nil) != (wantErr != nil) {
			t.Fatalf("%q: decodeEvent error %v, encoding/json %v", b, gotErr, wantErr)
		}
		if gotErr != nil {
			return
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Fatalf("%q: decodeEvent differs from encoding/json (-json +fast):\n%s", b, d)
		}
	})
}

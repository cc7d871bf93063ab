package redact

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/scrypt"
)

func TestHeld(t *testing.T) {
	r := New("hunter22")
	out := map[string]any{
		"stdout":   "t=hunter22",
		"n":        int64(1),
		"clean":    "x",
		"nested":   map[string]any{"a": []any{"hunter22"}},
		"hunter22": "v", // a name that holds a secret is masked, not held
	}
	if diff := cmp.Diff([]string{"nested", "stdout"}, r.Held(out)); diff != "" {
		t.Errorf("Held mismatch (-want +got):\n%s", diff)
	}
	if got := (*Redactor)(nil).Held(out); got != nil {
		t.Errorf("nil Held = %v", got)
	}
}

// TestDigest: a value holding a secret has a digest that is the same each
// time and for each Redactor (fingerprints stay stable), differs with the
// secret and with the rest of the value, holds no secret, and costs an
// scrypt N=2^15 per guess of the secret, as env digests do.
func TestDigest(t *testing.T) {
	r := New("hunter2222secretX")
	d := r.Digest("Bearer hunter2222secretX")
	tests := map[string]struct {
		got      string
		wantSame bool
	}{
		"again":                {r.Digest("Bearer hunter2222secretX"), true},
		"another redactor":     {New("hunter2222secretX", "other-secret").Digest("Bearer hunter2222secretX"), true},
		"other secret":         {New("hunter2222secretY").Digest("Bearer hunter2222secretY"), false},
		"other text":           {r.Digest("Basic hunter2222secretX"), false},
		"as it is recorded":    {r.Digest("Bearer ***"), false},
		"in a list":            {r.Digest([]any{"Bearer hunter2222secretX"}), false},
		"without the redactor": {New().Digest("Bearer hunter2222secretX"), false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if (tc.got == d) != tc.wantSame {
				t.Errorf("%s vs %s: same = %v, want %v", tc.got, d, tc.got == d, tc.wantSame)
			}
		})
	}
	if strings.Contains(d, "hunter") || !strings.HasPrefix(d, "redacted:") || len(d) != len("redacted:")+64 {
		t.Errorf("digest %q: want redacted:<64 hex>, without the secret", d)
	}
	key, err := scrypt.Key([]byte("hunter2222secretX"), []byte("planrun redact\x00"), 1<<15, 8, 1, 32)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal("Bearer <scrypt:" + hex.EncodeToString(key) + ">")
	if sum := sha256.Sum256(b); d != "redacted:"+hex.EncodeToString(sum[:]) {
		t.Errorf("digest = %s, want sha256 of the value with the secret as its scrypt(N=2^15, r=8, p=1)", d)
	}
}

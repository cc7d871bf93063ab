package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/planrun/planrun/plan/plantest"
	"github.com/planrun/planrun/steps"
	"go.yaml.in/yaml/v3"
	"golang.org/x/crypto/scrypt"
)

func TestResolve(t *testing.T) {
	outs := map[string]Upstream{
		"up": {Outputs: steps.Outputs{"n": 7.0, "name": "model", "ok": true, "list": []any{"a"}}},
		// An output holding a secret: in this run, and as a later run has it.
		"login": {Outputs: steps.Outputs{"token": "s3cret-tok", "user": "ann"}, Redacted: map[string]string{"token": "redacted:d1"}},
		"old":   {Outputs: steps.Outputs{"token": "***", "user": "ann"}, Redacted: map[string]string{"token": "redacted:d1"}, Recorded: true},
	}
	outputs := func(id string) (Upstream, bool) { o, ok := outs[id]; return o, ok }
	tests := map[string]struct {
		with       map[string]any
		wantCfg    *plantest.EchoConfig
		wantParams map[string]any
		wantErr    string
	}{
		"whole expression keeps type": {
			with:       map[string]any{"count": "${{ steps.up.outputs.n }}", "loud": "${{ steps.up.outputs.ok }}"},
			wantCfg:    &plantest.EchoConfig{Count: 7, Loud: true},
			wantParams: map[string]any{"count": 7.0, "loud": true},
		},
		"embedded expressions format": {
			with:       map[string]any{"message": "${{ steps.up.outputs.name }}-${{ steps.up.outputs.n }}", "tags": []any{"${{ steps.up.outputs.list }}"}},
			wantCfg:    &plantest.EchoConfig{Message: "model-7"},
			wantErr:    `resolve step "s": with.tags[0]: want string, got list`,
			wantParams: nil,
		},
		"env values are secret in params": {
			with:       map[string]any{"message": "token=${{ env.TOKEN }}", "wait": "1m"},
			wantCfg:    &plantest.EchoConfig{Message: "token=s3cret", Wait: time.Minute},
			wantParams: map[string]any{"message": "token=" + envDigest("TOKEN", "s3cret"), "wait": "1m"},
		},
		"secret output in params as its digest": {
			with:       map[string]any{"message": "Bearer ${{ steps.login.outputs.token }}", "count": "${{ steps.up.outputs.n }}"},
			wantCfg:    &plantest.EchoConfig{Message: "Bearer s3cret-tok", Count: 7},
			wantParams: map[string]any{"message": "Bearer redacted:d1", "count": 7.0},
		},
		"recorded plain output": {
			with:       map[string]any{"message": "${{ steps.old.outputs.user }}"},
			wantCfg:    &plantest.EchoConfig{Message: "ann"},
			wantParams: map[string]any{"message": "ann"},
		},
		"recorded masked output": {
			with: map[string]any{"message": "Bearer ${{ steps.old.outputs.token }} ${{ steps.old.outputs.token }}", "count": "${{ steps.up.outputs.n }}"},
			wantErr: `resolve step "s": ${{ steps.old.outputs.token }}: output token of step old held a secret: ` +
				`the state has it only masked, and this run does not have its value`,
			wantParams: map[string]any{"message": "Bearer redacted:d1 redacted:d1", "count": 7.0},
		},
		"recorded masked output and another problem": {
			with: map[string]any{"message": "${{ steps.old.outputs.token }}${{ env.GONE }}"},
			wantErr: `resolve step "s": environment variable GONE is not set; ${{ steps.old.outputs.token }}: output token of step old held a secret: ` +
				`the state has it only masked, and this run does not have its value`,
		},
		"missing output": {
			with:    map[string]any{"message": "${{ steps.up.outputs.nope }}"},
			wantErr: `resolve step "s": ${{ steps.up.outputs.nope }}: step "up" has no output "nope" (outputs: list, n, name, ok)`,
		},
		"step without outputs": {
			with:    map[string]any{"message": "${{ steps.other.outputs.x }}"},
			wantErr: `resolve step "s": ${{ steps.other.outputs.x }}: step "other" has no recorded outputs`,
		},
		"env unset at run time": {
			with:    map[string]any{"message": "${{ env.GONE }}"},
			wantErr: `resolve step "s": environment variable GONE is not set`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s := &Step{ID: "s", Kind: "echo", With: tc.with}
			cfg, params, err := Resolve(s, plantest.Registry(), outputs, getenv)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("Resolve error = %v, want %q", err, tc.wantErr)
				}
				// Params come with the error of masked outputs alone, so
				// that the fingerprint can say the step is already done.
				var masked *RedactedOutputError
				if errors.As(err, &masked) != (tc.wantParams != nil) {
					t.Errorf("error %T: a *RedactedOutputError is for masked outputs alone", err)
				}
				if diff := cmp.Diff(tc.wantParams, params); diff != "" || cfg != nil {
					t.Errorf("with the error: cfg %v, params mismatch (-want +got):\n%s", cfg, diff)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.wantCfg, cfg); diff != "" {
				t.Errorf("cfg mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantParams, params); diff != "" {
				t.Errorf("params mismatch (-want +got):\n%s", diff)
			}
			if b, _ := json.Marshal(params); strings.Contains(string(b), "s3cret") {
				t.Errorf("params hold the secret: %s", b)
			}
			if tc.with["message"] == "token=${{ env.TOKEN }}" && s.With["message"] != "token=${{ env.TOKEN }}" {
				t.Errorf("Resolve changed the step's With: %v", s.With)
			}
		})
	}
}

func TestResolveUnknownKind(t *testing.T) {
	_, _, err := Resolve(&Step{ID: "s", Kind: "warp"}, plantest.Registry(), nil, getenv)
	if err == nil || err.Error() != `resolve step "s": unknown kind "warp"` {
		t.Errorf("Resolve error = %v", err)
	}
}

func TestFingerprint(t *testing.T) {
	s := &Step{ID: "s", Kind: "echo"}
	base := Fingerprint(s, 1, map[string]any{"a": 1.0, "b": "x"})
	if len(base) != 64 {
		t.Fatalf("Fingerprint = %q, want 64 hex digits", base)
	}
	same := map[string]map[string]any{
		"key order": {"b": "x", "a": 1.0},
	}
	for name, p := range same {
		if got := Fingerprint(s, 1, p); got != base {
			t.Errorf("%s: fingerprint changed", name)
		}
	}
	if got := Fingerprint(&Step{ID: "renamed", Kind: "echo", Pos: Pos{Line: 9}}, 1, map[string]any{"a": 1.0, "b": "x"}); got != base {
		t.Errorf("id or position changed the fingerprint")
	}
	differ := map[string]func() string{
		"kind version": func() string { return Fingerprint(s, 2, map[string]any{"a": 1.0, "b": "x"}) },
		"kind":         func() string { return Fingerprint(&Step{Kind: "xfer"}, 1, map[string]any{"a": 1.0, "b": "x"}) },
		"param value":  func() string { return Fingerprint(s, 1, map[string]any{"a": 2.0, "b": "x"}) },
		"param type":   func() string { return Fingerprint(s, 1, map[string]any{"a": "1", "b": "x"}) },
		"upstream output": func() string {
			return Fingerprint(s, 1, map[string]any{"a": 1.0, "b": "x", "c": "sha-of-new-zip"})
		},
		"env value": func() string {
			return Fingerprint(s, 1, map[string]any{"a": 1.0, "b": envDigest("TOKEN", "other")})
		},
	}
	for name, f := range differ {
		if f() == base {
			t.Errorf("%s: fingerprint did not change", name)
		}
	}
}

func TestPlanJSONRoundTrip(t *testing.T) {
	p := mustLoad(t, map[string]string{
		"plan.yaml": `version: 1
name: trip
vars: {v: "x"}
hosts: {box: {ssh: app@box, identity_files: [k1], connect_timeout: 5s}}
limits: {box: 2}
defaults: {retry: {attempts: 3, backoff: 2s, max_backoff: 1m}, timeout: 30m}
steps:
  - {id: a, kind: echo, with: {message: "${{ vars.v }}", count: 3, ratio: 0.5, loud: true, tags: [p, q], opts: {level: 2}, env: {K: V}}}
  - {id: b, kind: xfer, needs: [a], limits: [box], timeout: 1h, retry: {attempts: 1}, with: {from: "box:/a", to: "local:${{ env.REGION }}"}}
  - batch: many
    for_each: [{k: 1}, {k: 2}]
    steps: [{id: c, kind: echo, with: {count: "${{ item.k }}", message: "${{ steps.a.outputs.message }}"}}]
`})
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var back Plan
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p, &back); diff != "" {
		t.Errorf("plan changed through JSON (-loaded +decoded):\n%s", diff)
	}
	if back.Hash != back.ComputeHash() {
		t.Errorf("hash of decoded plan differs")
	}
	if strings.Contains(string(b), "eu") {
		t.Errorf("frozen plan holds an environment value: %s", b)
	}
	if got := p.Steps[1].Retry; got != (Retry{Attempts: 1, Backoff: Duration(2 * time.Second), MaxBackoff: Duration(time.Minute)}) {
		t.Errorf("b retry = %+v, want attempts 1 with default backoffs", got)
	}
	if p.Steps[0].Timeout != Duration(30*time.Minute) || p.Steps[1].Timeout != Duration(time.Hour) {
		t.Errorf("timeouts = %v, %v", p.Steps[0].Timeout, p.Steps[1].Timeout)
	}
	if p.Steps[1].Host != "box" {
		t.Errorf("b host = %q, want box", p.Steps[1].Host)
	}
}

func TestHashStable(t *testing.T) {
	files := map[string]string{"plan.yaml": "version: 1\nsteps:\n  - {id: a, kind: echo, with: {message: hi}}\n"}
	h1 := mustLoad(t, files).Hash
	files["plan.yaml"] = "# a comment moves every line\nversion: 1\nsteps:\n  - id: a\n    kind: echo\n    with: {message: hi}\n"
	if h2 := mustLoad(t, files).Hash; h2 != h1 {
		t.Errorf("hash changed with formatting: %s != %s", h1, h2)
	}
	files["plan.yaml"] = "version: 1\nsteps:\n  - {id: a, kind: echo, with: {message: ho}}\n"
	if h3 := mustLoad(t, files).Hash; h3 == h1 {
		t.Errorf("hash did not change with a parameter")
	}
}

func TestMergeKeysAndEmptyWith(t *testing.T) {
	p := mustLoad(t, map[string]string{"plan.yaml": `version: 1
x-common: &common {count: 2, loud: true}
steps:
  - {id: a, kind: echo, with: {<<: *common, count: 3, message: hi}}
  - {id: b, kind: echo, with: {}}
`})
	want := map[string]any{"count": 3.0, "loud": true, "message": "hi"}
	if diff := cmp.Diff(want, p.Steps[0].With); diff != "" {
		t.Errorf("merged with (-want +got):\n%s", diff)
	}
	if p.Steps[1].With != nil {
		t.Errorf("empty with = %#v, want nil", p.Steps[1].With)
	}
}

// BenchmarkResolve resolves and fingerprints one step with an upstream
// output, an env value and a few typed fields (the runner does this per step).
func BenchmarkResolve(b *testing.B) {
	s := &Step{ID: "s", Kind: "echo", With: map[string]any{
		"message": "${{ steps.up.outputs.name }}-${{ env.TOKEN }}", "count": "${{ steps.up.outputs.n }}",
		"wait": "1m", "tags": []any{"a", "b"}, "opts": map[string]any{"level": 2.0},
	}}
	outs := Upstream{Outputs: steps.Outputs{"name": "model", "n": 7.0}}
	outputs := func(string) (Upstream, bool) { return outs, true }
	reg := plantest.Registry()
	for b.Loop() {
		_, params, err := Resolve(s, reg, outputs, getenv)
		if err != nil {
			b.Fatal(err)
		}
		Fingerprint(s, 1, params)
	}
}

// TestEnvDigest: an environment value stands in params as a salted scrypt
// digest: never the value, different per name and value, the same each
// time (fingerprints stay stable) and as costly to guess as scrypt N=2^15.
func TestEnvDigest(t *testing.T) {
	d := envDigest("TOKEN", "s3cret")
	tests := map[string]struct {
		got      string
		wantSame bool
	}{
		"same name and value": {envDigest("TOKEN", "s3cret"), true},
		"other value":         {envDigest("TOKEN", "s3cret2"), false},
		"other name":          {envDigest("TOKEN2", "s3cret"), false},
		"name and value swap": {envDigest("s3cret", "TOKEN"), false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if (tc.got == d) != tc.wantSame {
				t.Errorf("%s vs %s: same = %v, want %v", tc.got, d, tc.got == d, tc.wantSame)
			}
		})
	}
	if strings.Contains(d, "s3cret") || !strings.HasPrefix(d, "env:TOKEN:scrypt:") || len(d) != len("env:TOKEN:scrypt:")+64 {
		t.Errorf("digest %q: want env:TOKEN:scrypt:<64 hex>, without the value", d)
	}
	key, err := scrypt.Key([]byte("s3cret"), []byte("planrun env\x00TOKEN"), 1<<15, 8, 1, 32)
	if err != nil {
		t.Fatal(err)
	}
	if want := "env:TOKEN:scrypt:" + hex.EncodeToString(key); d != want {
		t.Errorf("digest = %s, want scrypt(N=2^15, r=8, p=1) = %s", d, want)
	}
}

// BenchmarkEnvDigestGuess is what one guess at a secret costs whoever
// holds a state's fingerprints (the digest uncached).
func BenchmarkEnvDigestGuess(b *testing.B) {
	i := 0
	for b.Loop() {
		i++
		envDigests.Delete(sha256.Sum256(fmt.Appendf(nil, "TOKEN\x00guess%d", i)))
		envDigest("TOKEN", fmt.Sprintf("guess%d", i))
	}
}

// TestMergeKeysOutsideWith: a step, vars, hosts and limits may take
// fields from an anchor with <<: (the fields written beside it win); a
// step whose kind comes from the anchor is a step (it was dropped).
func TestMergeKeysOutsideWith(t *testing.T) {
	p := mustLoad(t, map[string]string{"plan.yaml": `version: 1
x-step: &step {kind: echo, timeout: 5m, retry: {attempts: 4}, needs: [a]}
x-vars: &vars {who: world, where: here}
x-pool: &pool {slow: 2}
vars: {<<: *vars, where: there}
limits: {<<: *pool, fast: 9}
hosts:
  <<: {box: {root: box}}
  other: {root: other}
steps:
  - {id: a, kind: echo, with: {message: hi}}
  - id: b
    <<: *step
    with: {message: "${{ vars.who }}"}
  - id: c
    <<: [*step, {kind: nothing, timeout: 1h}]
    retry: {attempts: 2}
    with: {message: hi}
`})
	if len(p.Steps) != 3 {
		t.Fatalf("%d steps, want 3: %+v", len(p.Steps), p.Steps)
	}
	b, c := p.Steps[1], p.Steps[2]
	if b.Kind != "echo" || time.Duration(b.Timeout) != 5*time.Minute || b.Retry.Attempts != 4 || !slices.Equal(b.Needs, []string{"a"}) {
		t.Errorf("b = %+v: want kind echo, timeout 5m, 4 attempts, needs a (from the anchor)", b)
	}
	if c.Kind != "echo" || time.Duration(c.Timeout) != 5*time.Minute || c.Retry.Attempts != 2 {
		t.Errorf("c = %+v: want kind echo and timeout 5m (the first anchor wins), 2 attempts (written)", c)
	}
	if diff := cmp.Diff(map[string]string{"who": "world", "where": "there"}, p.Vars); diff != "" {
		t.Errorf("vars (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int{"slow": 2, "fast": 9}, p.Limits); diff != "" {
		t.Errorf("limits (-want +got):\n%s", diff)
	}
	if p.Hosts["box"].Root != "box" || p.Hosts["other"].Root != "other" {
		t.Errorf("hosts = %+v, want box and other", p.Hosts)
	}
}

// TestDuplicateKeys: a key written twice in one mapping is an error at
// the second (YAML forbids it; one of the two would be dropped unseen).
func TestDuplicateKeys(t *testing.T) {
	_, err := load(t, map[string]string{"plan.yaml": `version: 1
version: 1
x-a: &a {message: hi}
steps:
  - {id: a, kind: echo, with: {message: x, message: y}}
  - id: b
    kind: echo
    with: {<<: *a, message: own}
    kind: echo
`})
	want := []string{
		`plan.yaml:2:1: "version" is written twice in this mapping (first at line 1): YAML keeps one; remove the other`,
		`plan.yaml:5:44: "message" is written twice in this mapping (first at line 5): YAML keeps one; remove the other`,
		`plan.yaml:9:5: "kind" is written twice in this mapping (first at line 7): YAML keeps one; remove the other`,
	}
	if diff := cmp.Diff(want, errorLines(t, err)); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

// TestPairsMergeBomb: merges of merges (each anchor merging the one
// before twice, 60 deep) are walked once per mapping, not once per path:
// pairs returns at once (it ran for ever on a hosts file built so).
func TestPairsMergeBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("x0: &a0 {h0: {root: r}}\n")
	for i := 1; i <= 60; i++ {
		fmt.Fprintf(&b, "x%d: &a%d {<<: [*a%d, *a%d]}\n", i, i, i-1, i-1)
	}
	b.WriteString("top: {<<: *a60, own: 1}\n")
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(b.String()), &doc); err != nil {
		t.Fatal(err)
	}
	_, top := mapGet(&doc, "top")
	done := make(chan []pair, 1)
	go func() { done <- pairs(top) }()
	select {
	case ps := <-done:
		var keys []string
		for _, p := range ps {
			keys = append(keys, p.k.Value)
		}
		if diff := cmp.Diff([]string{"own", "h0"}, keys); diff != "" {
			t.Errorf("keys (-want +got):\n%s", diff)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("pairs did not return within 5 s")
	}
}

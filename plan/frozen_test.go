package plan

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// frozenFiles is a plan with a batch read from a CSV file: items.csv is
// UTF-8, latin1.csv holds a name in Latin-1 (not UTF-8).
var frozenFiles = map[string]string{
	"plan.yaml": `version: 1
name: frozen
steps:
  - {id: a, kind: echo, with: {message: "<hi> & bye", count: 3, ratio: 0.25}}
  - batch: many
    for_each: {file: items.csv, key: name}
    steps: [{id: c, kind: echo, needs: [a], with: {message: "${{ item.name }}"}}]
`,
	"items.csv":  "name\nok\nfine\n",
	"latin1.csv": "name\ncaf\xe9\nok\n",
}

func TestDecodeFrozen(t *testing.T) {
	rehash := func(p *Plan) { p.Hash = p.ComputeHash() }
	tests := map[string]struct {
		latin1 bool
		edit   func(p *Plan) // on the loaded plan, before it is frozen
		raw    func(b []byte) []byte
		want   string // a part of the error; "" for none
	}{
		"as frozen": {},
		// Each byte that is not UTF-8 is frozen as \ufffd, and decodes
		// as U+FFFD, which encodes as itself.
		"text not UTF-8 as frozen": {latin1: true},
		"hash without the newline (planrun before 2026-11-25 19:51)": {
			edit: func(p *Plan) {
				var buf bytes.Buffer
				if err := p.encodeHashed(&buf); err != nil {
					t.Fatal(err)
				}
				sum := sha256.Sum256(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
				p.Hash = hex.EncodeToString(sum[:])
			},
		},
		"brace in an item key (planrun before 2026-11-25 19:52)": {
			edit: func(p *Plan) { p.Steps[1].ID, p.Steps[1].Item = "c[o{k}]", "o{k}"; rehash(p) },
		},
		"a step changed in the file": {
			raw: func(b []byte) []byte {
				return bytes.Replace(b, []byte(`"message":"ok"`), []byte(`"message":"PWNED"`), 1)
			},
			want: "its content does not match its hash (recorded ",
		},
		"a step changed, not UTF-8": {
			latin1: true,
			raw: func(b []byte) []byte {
				return bytes.Replace(b, []byte(`"message":"ok"`), []byte(`"message":"PWNED"`), 1)
			},
			want: "its content does not match its hash",
		},
		"a step added": {
			edit: func(p *Plan) { p.Steps = append(p.Steps, &Step{ID: "z", Kind: "echo"}) },
			want: "its content does not match its hash",
		},
		"no hash": {
			edit: func(p *Plan) { p.Hash = "" },
			want: "no hash recorded",
		},
		"a path as id, hash made again": {
			edit: func(p *Plan) {
				p.Steps[2].ID, p.Steps[2].Batch, p.Steps[2].Item = "../../../../tmp/evil", "", ""
				rehash(p)
			},
			want: `step 3: "../../../../tmp/evil" is not a step id (want a name of letters, digits, '_' and '-', or NAME[KEY] for an item of a batch)`,
		},
		"a path before an item key": {
			edit: func(p *Plan) { p.Steps[2].ID = "../x[fine]"; rehash(p) },
			want: `step 3: "../x[fine]" is not a step id`,
		},
		"an item copy without its item": {
			edit: func(p *Plan) { p.Steps[2].Item = ""; rehash(p) },
			want: `step 3: "c[fine]" is not a step id`,
		},
		"an item copy without its batch": {
			edit: func(p *Plan) { p.Steps[2].Batch = ""; rehash(p) },
			want: `step 3: "c[fine]" is not a step id`,
		},
		"a bracket in an item key": {
			edit: func(p *Plan) { p.Steps[2].ID, p.Steps[2].Item = "c[a]b]", "a]b"; rehash(p) },
			want: `step 3: "c[a]b]" is not a step id`,
		},
		"a line break in an item key": {
			edit: func(p *Plan) { p.Steps[2].ID, p.Steps[2].Item = "c[a\nplanrun: ok]", "a\nplanrun: ok"; rehash(p) },
			want: `is not a step id`,
		},
		"an id twice": {
			edit: func(p *Plan) { p.Steps[2].ID, p.Steps[2].Item = "c[ok]", "ok"; rehash(p) },
			want: `duplicate step id "c[ok]"`,
		},
		"a need that is no step": {
			edit: func(p *Plan) { p.Steps[1].Needs = []string{"ghost"}; rehash(p) },
			want: `step "c[ok]" needs "ghost", which is not a step of the plan`,
		},
		"a cycle": {
			edit: func(p *Plan) { p.Steps[0].Needs = []string{"c[ok]"}; rehash(p) },
			want: `dependency cycle: a -> c[ok] -> a`,
		},
		"an empty step": {
			edit: func(p *Plan) { p.Steps = append(p.Steps, nil); rehash(p) },
			want: `step 4 is empty`,
		},
		"not JSON": {
			raw:  func(b []byte) []byte { return b[:len(b)/2] },
			want: "unexpected end of JSON input",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			files := frozenFiles
			if tc.latin1 {
				files = map[string]string{}
				for k, v := range frozenFiles {
					files[k] = strings.ReplaceAll(v, "items.csv", "latin1.csv")
				}
			}
			p := mustLoad(t, files)
			p.StateDir = "/state" // set when frozen; not hashed
			if tc.edit != nil {
				tc.edit(p)
			}
			b, err := json.Marshal(p) // as the file store freezes it
			if err != nil {
				t.Fatal(err)
			}
			if tc.raw != nil {
				b = tc.raw(b)
			}
			got, err := DecodeFrozen(b)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("DecodeFrozen: %v", err)
				}
				var want Plan
				if err := json.Unmarshal(b, &want); err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(&want, got); diff != "" {
					t.Errorf("decoded plan (-want +got):\n%s", diff)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// TestDecodeFrozenEarlier decodes plans frozen by earlier planruns (built
// at the commit each file is named after, running the same plan: an exec
// step, then a batch over a CSV with a Latin-1 name): b1caf19 hashed
// without the trailing newline and took braces in item keys, 27b82dc
// recorded no state_dir, 5132901 is the planrun before DecodeFrozen.
func TestDecodeFrozenEarlier(t *testing.T) {
	files, err := filepath.Glob("testdata/frozen/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no frozen plans: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			p, err := DecodeFrozen(b)
			if err != nil {
				t.Fatalf("DecodeFrozen: %v", err)
			}
			if len(p.Steps) < 3 || p.Steps[1].ID != "c[caf\uFFFD]" {
				t.Errorf("steps: %+v", p.Steps)
			}
		})
	}
}

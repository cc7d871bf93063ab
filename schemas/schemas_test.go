package schemas

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCompile(t *testing.T) {
	if err := Compile(); err != nil {
		t.Fatal(err)
	}
}

// TestDescriptions checks every property of the full plan schema has a
// description (the README's plan reference is generated from them).
func TestDescriptions(t *testing.T) {
	var doc any
	if err := json.Unmarshal(Plan(), &doc); err != nil {
		t.Fatal(err)
	}
	var missing []string
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			if props, ok := v["properties"].(map[string]any); ok {
				for name, p := range props {
					pm, _ := p.(map[string]any)
					_, hasDesc := pm["description"]
					_, isRef := pm["$ref"]
					// kind-selection "then" branches only re-point `with`.
					if !hasDesc && !isRef && !strings.Contains(path, "/if") {
						missing = append(missing, path+"/properties/"+name)
					}
				}
			}
			for k, c := range v {
				walk(path+"/"+k, c)
			}
		case []any:
			for i, c := range v {
				walk(fmt.Sprintf("%s/%d", path, i), c)
			}
		}
	}
	walk("#", doc)
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("properties without a description:\n%s", strings.Join(missing, "\n"))
	}
}

func TestKinds(t *testing.T) {
	var full map[string]any
	if err := json.Unmarshal(Plan(), &full); err != nil {
		t.Fatal(err)
	}
	defs := full["$defs"].(map[string]any)
	for _, k := range Kinds() {
		b, ok := Kind(k)
		if !ok {
			t.Fatalf("Kind(%q) not found though listed", k)
		}
		var ks map[string]any
		if err := json.Unmarshal(b, &ks); err != nil {
			t.Fatalf("kinds/%s.json: %v", k, err)
		}
		if ks["additionalProperties"] != false {
			t.Errorf("kinds/%s.json: want additionalProperties: false", k)
		}
		if _, ok := defs["with-"+k]; !ok {
			t.Errorf("full schema lacks $defs/with-%s", k)
		}
	}
	for _, bad := range []string{"", "../plan", "no-such-kind", "README"} {
		if _, ok := Kind(bad); ok {
			t.Errorf("Kind(%q) found", bad)
		}
	}
}

func TestCheckPlan(t *testing.T) {
	tests := map[string]struct {
		doc  string
		want []Problem
	}{
		"ok": {doc: `{"version": 1, "steps": [{"id": "a", "kind": "x", "with": {"k": 1}},
			{"batch": "b", "for_each": [1, 2], "steps": [{"id": "c", "kind": "x"}]}],
			"hosts": "hosts.yaml", "defaults": {"timeout": "5m", "retry": {"attempts": 2}}}`},
		"missing and unknown": {
			doc: `{"steps": [], "bogus": 1}`,
			want: []Problem{
				{Path: []string{}, Msg: `missing field "version"`},
				{Path: []string{}, Key: "bogus", Msg: `unknown field "bogus"`},
			},
		},
		"wrong types": {
			doc: `{"version": "1", "steps": [{"id": "a", "kind": "x", "needs": 3, "retry": {"attempts": 0}}]}`,
			want: []Problem{
				{Path: []string{"steps", "0", "needs"}, Msg: "want string or array, got number (Ids of steps that must succeed before this one starts (a batch step or batch name means all its items); one id may stand alone (`needs: fetch`).)"},
				{Path: []string{"steps", "0", "retry", "attempts"}, Msg: "got 0, want at least 1"},
				{Path: []string{"version"}, Msg: "want integer, got string (Plan format version. Must be 1.)"},
			},
		},
		"bad duration and id": {
			doc: `{"version": 1, "steps": [{"id": "a b", "kind": "x", "timeout": "5 minutes"}]}`,
			want: []Problem{
				{Path: []string{"steps", "0", "id"}, Msg: `"a b" does not match ^[A-Za-z0-9_][A-Za-z0-9_-]*$`},
				{Path: []string{"steps", "0", "timeout"}, Msg: `"5 minutes": want a duration such as 90s, 2m30s or 1h`},
			},
		},
		"negative duration": {
			doc: `{"version": 1, "steps": [{"id": "a", "kind": "x", "timeout": "-5s", "retry": {"backoff": "0s"}}]}`,
			want: []Problem{
				{Path: []string{"steps", "0", "timeout"}, Msg: `"-5s": want a duration of zero or more, such as 90s, 2m30s or 1h`},
			},
		},
		"batch block": {
			doc: `{"version": 1, "steps": [{"batch": "b", "for_each": {"file": 3, "keys": "x"}, "steps": [{"id": "c"}]}]}`,
			want: []Problem{
				{Path: []string{"steps", "0", "for_each"}, Key: "keys", Msg: `unknown field "keys" (did you mean "key"?)`},
				{Path: []string{"steps", "0", "for_each", "file"}, Msg: "want string, got number (A CSV file (header row = field names; comma-separated, or by semicolons or tabs when the header has no comma) or a YAML list, relative to the plan file.)"},
				{Path: []string{"steps", "0", "steps", "0"}, Msg: `missing field "kind"`},
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var doc any
			if err := json.Unmarshal([]byte(tc.doc), &doc); err != nil {
				t.Fatal(err)
			}
			got, err := CheckPlan(doc)
			if err != nil {
				t.Fatal(err)
			}
			sort.Slice(got, func(i, j int) bool {
				a, b := got[i], got[j]
				if pa, pb := strings.Join(a.Path, "/"), strings.Join(b.Path, "/"); pa != pb {
					return pa < pb
				}
				if a.Key != b.Key {
					return a.Key < b.Key
				}
				return a.Msg < b.Msg
			})
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("CheckPlan mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckHosts(t *testing.T) {
	var doc any
	json.Unmarshal([]byte(`{"a": {"ssh": "u@h", "port": 22}, "b": "x"}`), &doc)
	got, err := CheckHosts(doc)
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(got, func(i, j int) bool { return got[i].Path[0] < got[j].Path[0] })
	want := []Problem{
		{Path: []string{"a"}, Key: "port", Msg: `unknown field "port"`},
		{Path: []string{"b"}, Msg: "want object, got string (How to reach one machine.)"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CheckHosts mismatch (-want +got):\n%s", diff)
	}
}

func TestReference(t *testing.T) {
	ref := Reference()
	for _, want := range []string{
		"# Plan reference",
		"| `version` (required) | integer | Plan format version. Must be 1. |",
		"| `retry` | retry | This step's retry policy; unset fields come from defaults.retry. |",
		"| `timeout` | duration |",
		"| `needs` | list of string or string |",
		"| `hosts` | map of host or string |",
		"## A batch block",
		"## `defaults:`",
		"| `connect_timeout` | duration |",
	} {
		if !strings.Contains(ref, want) {
			t.Errorf("Reference() lacks %q", want)
		}
	}
	for _, k := range Kinds() {
		if !strings.Contains(ref, "## Kind `"+k+"`: `with:`") {
			t.Errorf("Reference() lacks kind %s", k)
		}
	}
}

func TestTypeErrorDescription(t *testing.T) {
	long := strings.Repeat("word ", 40) // 200 characters, no sentence
	c := &compiled{doc: map[string]any{"properties": map[string]any{
		"short":    map[string]any{"type": "string", "description": "  What it is.  "},
		"sentence": map[string]any{"type": "string", "description": "First, e.g. this. Then " + long},
		"long":     map[string]any{"type": "string", "description": long},
		"none":     map[string]any{"type": "string"},
	}}}
	for _, tc := range []struct{ url, want string }{
		{"plan.json#/properties/short", "What it is."},
		{"plan.json#/properties/sentence", "First, e.g. this."},
		{"plan.json#/properties/long", ""},
		{"plan.json#/properties/none", ""},
		{"plan.json#/properties/missing", ""},
		{"plan.json", ""},
	} {
		if got := c.description(tc.url); got != tc.want {
			t.Errorf("description(%s) = %q, want %q", tc.url, got, tc.want)
		}
	}
}

// TestEditorSchemaFile: schemas/planrun.schema.json, which the examples
// name for editors, is what `planrun schema` prints
// (PLANRUN_UPDATE_SCHEMA=1 rewrites it), and every with: field that is not
// a string also takes an expression.
func TestEditorSchemaFile(t *testing.T) {
	want := Editor()
	if os.Getenv("PLANRUN_UPDATE_SCHEMA") != "" {
		if err := os.WriteFile("planrun.schema.json", want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile("planrun.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatal("schemas/planrun.schema.json is stale: run PLANRUN_UPDATE_SCHEMA=1 go test ./schemas -run TestEditorSchemaFile")
	}
	var doc map[string]any
	if err := json.Unmarshal(want, &doc); err != nil {
		t.Fatal(err)
	}
	imp := doc["$defs"].(map[string]any)["with-import"].(map[string]any)["properties"].(map[string]any)
	party := imp["party_id"].(map[string]any)
	alts, _ := party["anyOf"].([]any)
	if len(alts) != 2 || alts[1].(map[string]any)["$ref"] != "#/$defs/expression" {
		t.Errorf("with-import party_id = %v, want an integer or an expression", party)
	}
	if _, wrapped := imp["file"].(map[string]any)["anyOf"]; wrapped {
		t.Error("a string field was wrapped")
	}
}

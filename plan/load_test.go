package plan

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLoadErrors(t *testing.T) {
	tests := map[string]struct {
		files map[string]string
		want  []string
	}{
		"malformed yaml": {
			files: map[string]string{"plan.yaml": "version: 1\nsteps:\n  - id: a\n   kind: echo\n"},
			want:  []string{"plan.yaml:3:1: parse YAML: did not find expected '-' indicator in the block sequence that starts on this line (check the indentation)"},
		},
		"malformed yaml: unclosed flow mapping": {
			files: map[string]string{"plan.yaml": "version: 1\nsteps:\n  - {id: a, kind: echo\n  - {id: b}\n"},
			want:  []string{"plan.yaml:3:1: parse YAML: did not find expected ',' or '}' in the flow mapping { } that starts on this line"},
		},
		"malformed yaml: unclosed flow mapping on the first line": {
			files: map[string]string{"plan.yaml": "{version: 1, steps: []\n# comment\n# comment\n"},
			want:  []string{"plan.yaml:1:1: parse YAML: did not find expected ',' or '}' in the flow mapping { } that starts on this line"},
		},
		"malformed yaml: scanner error": {
			files: map[string]string{"plan.yaml": "version: 1\nsteps:\n  - id: a\n    kind: echo: x\n"},
			want:  []string{"plan.yaml:4:1: parse YAML: mapping values are not allowed in this context"},
		},
		"malformed yaml: a tab indents a sequence": {
			files: map[string]string{"plan.yaml": "version: 1\nsteps:\n\t- {id: a, kind: echo}\n"},
			want:  []string{"plan.yaml:3:1: parse YAML: found character that cannot start any token (a tab: YAML indents with spaces only)"},
		},
		"malformed yaml: a tab indents a key": {
			files: map[string]string{"plan.yaml": "version: 1\nsteps:\n  - id: a\n    kind: echo\n  \twith: {}\n"},
			want:  []string{"plan.yaml:5:3: parse YAML: found a tab character that violates indentation"},
		},
		"a second document": {
			files: map[string]string{"plan.yaml": "version: 1\nsteps: [{id: a, kind: echo}]\n---\nversion: 1\nsteps: [{id: b, kind: echo}]\n"},
			want:  []string{"plan.yaml:4:1: a second YAML document (after ---): planrun reads one document per file; put it in a file of its own"},
		},
		"a second document that does not parse": {
			files: map[string]string{"plan.yaml": "version: 1\nsteps: [{id: a, kind: echo}]\n---\n- [b\n"},
			want: []string{"plan.yaml:4:1: a second YAML document (after ---): planrun reads one document per file; put it in a file of its own " +
				"(it does not parse: did not find expected ',' or ']' in the flow sequence [ ] that starts on this line)"},
		},
		"empty file": {
			files: map[string]string{"plan.yaml": "# nothing here\n"},
			want:  []string{"plan.yaml:1:1: plan is empty: want at least version: 1 and steps"},
		},
		"no steps": {
			files: map[string]string{"plan.yaml": "version: 1\nsteps: []\n"},
			want:  []string{"plan.yaml:2:1: plan has no steps"},
		},
		"missing file": {
			files: map[string]string{},
			want:  []string{"plan.yaml: read plan: no such file or directory"},
		},
		"version and unknown top-level key": {
			files: map[string]string{"plan.yaml": "version: 2\nstepz: []\nsteps:\n  - {id: a, kind: echo}\n"},
			want: []string{
				"plan.yaml:1:10: version: unsupported plan version 2: want 1",
				`plan.yaml:2:1: unknown field "stepz" (did you mean "steps"?)`,
			},
		},
		"wrong types": {
			files: map[string]string{"plan.yaml": `version: "1"
limits: {a: zero}
steps:
  - id: a
    kind: echo
    needs: {b: 1}
    retry: {attempts: 0, backoff: soon}
    with: [1]
  - just a string
`},
			want: []string{
				"plan.yaml:1:10: version: want integer, got string (Plan format version. Must be 1.)",
				"plan.yaml:2:13: limits.a: want integer, got string (How many steps of the pool may run at once.)",
				"plan.yaml:6:12: step \"a\": needs: want string or array, got object (Ids of steps that must succeed before this one starts (a batch step or batch name means all its items); one id may stand alone (`needs: fetch`).)",
				`plan.yaml:7:23: step "a": retry.attempts: got 0, want at least 1`,
				`plan.yaml:7:35: step "a": retry.backoff: "soon": want a duration such as 90s, 2m30s or 1h`,
				`plan.yaml:8:11: step "a": with: want object, got array (The kind's parameters. Strings may hold ${{ vars.N }}, ${{ env.N }}, ${{ steps.ID.outputs.N }} and ${{ item.N }} expressions.)`,
				"plan.yaml:9:5: steps[1]: want object, got string (A step, or a batch block (an object with `batch:`).)",
			},
		},
		"duplicate ids point at both": {
			files: map[string]string{"plan.yaml": "version: 1\nsteps:\n  - {id: a, kind: echo}\n  - {id: a, kind: echo}\n"},
			want:  []string{`plan.yaml:4:10: duplicate step id "a" (first defined at plan.yaml:3:10)`},
		},
		"a duplicate is checked too": {
			files: map[string]string{"plan.yaml": "version: 1\nsteps:\n  - {id: a, kind: echo}\n  - {id: a, kind: echo, needs: [zz], with: {text: '${{ vars.q }}'}}\n"},
			want: []string{
				`plan.yaml:4:10: duplicate step id "a" (first defined at plan.yaml:3:10)`,
				`plan.yaml:4:33: step "a": needs: unknown step "zz"`,
				`plan.yaml:4:52: step "a": unknown var "q"`,
			},
		},
		"unknown kind lists known kinds": {
			files: map[string]string{"plan.yaml": "version: 1\nsteps:\n  - {id: a, kind: teleport}\n"},
			want:  []string{`plan.yaml:3:19: step "a": unknown kind "teleport" (known kinds: echo, xfer)`},
		},
		"unknown needs and pools": {
			files: map[string]string{"plan.yaml": `version: 1
limits: {net: 2}
steps:
  - {id: a, kind: echo, needs: [ghost], limits: [net, disk]}
`},
			want: []string{
				`plan.yaml:4:33: step "a": needs: unknown step "ghost"`,
				`plan.yaml:4:55: step "a": unknown limits pool "disk" (pools: net)`,
			},
		},
		"typed with": {
			files: map[string]string{"plan.yaml": `version: 1
steps:
  - id: a
    kind: echo
    with:
      count: many
      ratio: [1]
      loud: "maybe"
      wait: 5 parsecs
      colour: red
      opts: {level: 1.5, mode: medium, extra: 1}
      count2: 3
`},
			want: []string{
				`plan.yaml:6:14: step "a": with.count: cannot read "many" as an integer`,
				`plan.yaml:7:14: step "a": with.ratio: want number, got list`,
				`plan.yaml:8:13: step "a": with.loud: cannot read "maybe" as a boolean`,
				`plan.yaml:9:13: step "a": with.wait: cannot read "5 parsecs" as a duration such as 90s, 2m30s or 1h`,
				`plan.yaml:10:7: step "a": with: unknown field "colour"`,
				`plan.yaml:11:21: step "a": with.opts.level: want an integer, got 1.5`,
				`plan.yaml:11:32: step "a": with.opts.mode: want "fast" or "slow"`,
				`plan.yaml:11:40: step "a": with.opts: unknown field "extra"`,
				`plan.yaml:12:7: step "a": with: unknown field "count2"`,
			},
		},
		"unknown host": {
			files: map[string]string{"plan.yaml": `version: 1
hosts: {box: {ssh: app@box}}
steps:
  - {id: a, kind: xfer, with: {from: "box:/a", to: "nowhere:/b"}}
  - {id: b, kind: echo, with: {host: local}}
`},
			want: []string{`plan.yaml:4:52: step "a": with.to: unknown host "nowhere" (hosts: box, local)`},
		},
		"expressions": {
			files: map[string]string{"plan.yaml": `version: 1
vars: {v: 1, bad: "${{ vars.v }}", secret: "${{ env.MISSING }}"}
steps:
  - id: a
    kind: echo
    with:
      message: "${{ vars.nope }} ${{ env.NOT_SET }} ${{ item.x }}"
      tags: ["${{ steps.ghost.outputs.x }}", "${{ steps.b.outputs }}", "${{ nonsense }}", "${{ vars.v"]
  - {id: b, kind: echo}
`},
			want: []string{
				`plan.yaml:2:20: vars.bad: ${{ vars.v }}: only ${{ env.NAME }} may be used in vars`,
				`plan.yaml:2:45: vars.secret: environment variable MISSING is not set`,
				`plan.yaml:7:17: step "a": unknown var "nope"`,
				`plan.yaml:7:34: step "a": environment variable NOT_SET is not set`,
				`plan.yaml:7:53: step "a": ${{ item.x }}: item is only defined inside a batch`,
				`plan.yaml:8:15: step "a": unknown step "ghost"`,
				`plan.yaml:8:47: step "a": bad expression "${{ steps.b.outputs }}": want steps.b.outputs.NAME`,
				`plan.yaml:8:73: step "a": bad expression "${{ nonsense }}": want vars.NAME, env.NAME, steps.ID.outputs.NAME or item.NAME`,
				`plan.yaml:8:92: step "a": unterminated expression "${{ vars.v": want ${{ ... }}`,
			},
		},
		"expression columns in any scalar style": {
			files: map[string]string{"plan.yaml": `version: 1
steps:
  - id: a
    kind: echo
    with:
      message: 'it''s ${{ vars.x }}'
      tags: ["\u00e9t\u00e9 ${{ vars.y }}"]
      opts:
        mode: été ${{ vars.z }}
      env:
        A: >-
          folded
          ${{ vars.w }}
        B: |
          literal
          ${{ vars.v }} and ${{ vars.u }}
        C: "wrapped ${{ vars.t }}
          ${{ vars.s }}"
`},
			want: []string{
				`plan.yaml:6:23: step "a": unknown var "x"`,
				`plan.yaml:7:29: step "a": unknown var "y"`,
				`plan.yaml:9:19: step "a": unknown var "z"`,
				`plan.yaml:13:11: step "a": unknown var "w"`,
				`plan.yaml:16:11: step "a": unknown var "v"`,
				`plan.yaml:16:29: step "a": unknown var "u"`,
				`plan.yaml:17:21: step "a": unknown var "t"`,
				`plan.yaml:18:11: step "a": unknown var "s"`,
			},
		},
		"bad names at their keys, and a bad entry keeps its section": {
			files: map[string]string{"plan.yaml": `version: 1
hosts: {"my host": {root: x}}
vars: {"my var": 1, a: hello, b: [1, 2]}
limits: {"my pool": 1, disk: 0, net: 2}
steps:
  - {id: s, kind: echo, limits: [disk, net], with: {message: "${{ vars.a }}"}}
`},
			want: []string{
				`plan.yaml:2:9: "my host" is not a valid name: use letters, digits, '_' and '-' (not first)`,
				`plan.yaml:3:8: "my var" is not a valid name: use letters, digits, '_' and '-' (not first)`,
				`plan.yaml:3:34: vars.b: want boolean or number or string, got array (The variable's value (numbers and booleans are used as their text).)`,
				`plan.yaml:4:10: "my pool" is not a valid name: use letters, digits, '_' and '-' (not first)`,
				`plan.yaml:4:30: limits.disk: got 0, want at least 1`,
			},
		},
		"hosts checked without connecting": {
			files: map[string]string{"plan.yaml": `version: 1
hosts:
  h5: {flow: "not a url"}
  h7: {ssh: a@h7, jump: h8}
  h8: {ssh: a@h8, jump: h7}
  ok: {flow: "http://10.0.0.1:9380", ssh: a@ok, jump: h9}
  h9: {ssh: a@h9}
  hp: {flow: "http://admin:UrlPassw0rdXYZ@127.0.0.1:9/"}
  hq: {flow: "http://admin:Url Passw0rd@127.0.0.1:9/"}
steps:
  - {id: s, kind: echo}
`},
			want: []string{
				`plan.yaml:3:3: hosts.h5: flow "not a url": want a URL such as http://10.1.0.5:9380`,
				`plan.yaml:4:3: hosts.h7: jump hosts form a cycle: h7 -> h8 -> h7`,
				`plan.yaml:5:3: hosts.h8: jump hosts form a cycle: h8 -> h7 -> h8`,
				`plan.yaml:8:3: hosts.hp: flow "http://***@127.0.0.1:9/": no user or password in the URL: FATE Flow requests are signed ` +
					`with flow_app_key and the secret in the environment variable that flow_secret_env names`,
				`plan.yaml:9:3: hosts.hq: flow "http://***@127.0.0.1:9/": want a URL such as http://10.1.0.5:9380`,
			},
		},
		"cycles all reported": {
			files: map[string]string{"plan.yaml": `version: 1
steps:
  - {id: a, kind: echo, needs: [b]}
  - {id: b, kind: echo, needs: [a]}
  - {id: ok, kind: echo}
  - {id: c, kind: echo, needs: [d]}
  - {id: d, kind: echo, with: {message: "${{ steps.e.outputs.m }}"}}
  - {id: e, kind: echo, needs: [c]}
`},
			want: []string{
				"plan.yaml:3:5: dependency cycle: a -> b -> a",
				"plan.yaml:6:5: dependency cycle: c -> d -> e -> c",
			},
		},
		"recursive alias": {
			files: map[string]string{"plan.yaml": "version: 1\nx-a: &a {id: a, kind: echo, with: {<<: *a}}\nsteps: [*a]\n"},
			want:  []string{"plan.yaml:1:1: YAML aliases nest deeper than 64 levels or expand to more than 262144 values"},
		},
		"alias bomb": {
			files: map[string]string{"plan.yaml": `version: 1
x-a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]
x-b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
x-c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
x-d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
x-e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
x-f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]
x-g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]
steps: [{id: a, kind: echo}]
`},
			want: []string{"plan.yaml:1:1: YAML aliases nest deeper than 64 levels or expand to more than 262144 values"},
		},
		"several problems at once": {
			files: map[string]string{"plan.yaml": `version: 1
steps:
  - {id: a, kind: echo, with: {count: -1}}
  - {id: b, kind: nope}
  - {id: c, kind: echo, needs: [zz]}
`},
			want: []string{
				`plan.yaml:3:39: step "a": with.count: must not be negative`,
				`plan.yaml:4:19: step "b": unknown kind "nope" (known kinds: echo, xfer)`,
				`plan.yaml:5:33: step "c": needs: unknown step "zz"`,
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p, err := load(t, tc.files)
			if err == nil {
				t.Fatalf("Load succeeded with %d steps, want errors", len(p.Steps))
			}
			if diff := cmp.Diff(tc.want, errorLines(t, err)); diff != "" {
				t.Errorf("errors mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestLoneNeedsAndLimits: one id or pool name may stand alone, as in
// `needs: fetch`, and means the list of that one; an unknown one is
// pointed at like a list entry.
func TestLoneNeedsAndLimits(t *testing.T) {
	p := mustLoad(t, map[string]string{"plan.yaml": `version: 1
limits: {net: 1}
steps:
  - {id: a, kind: echo}
  - {id: b, kind: echo, needs: a, limits: net}
  - {id: c, kind: echo, needs: [a, b], limits: [net]}
`})
	for _, tc := range []struct {
		id            string
		needs, limits []string
	}{
		{"b", []string{"a"}, []string{"net"}},
		{"c", []string{"a", "b"}, []string{"net"}},
	} {
		s, ok := p.Step(tc.id)
		if !ok || !slices.Equal(s.Needs, tc.needs) || !slices.Equal(s.Limits, tc.limits) {
			t.Errorf("step %s: %+v; want needs %v, limits %v", tc.id, s, tc.needs, tc.limits)
		}
	}
	_, err := load(t, map[string]string{"plan.yaml": "version: 1\nsteps:\n  - {id: a, kind: echo, needs: ghost, limits: pool}\n"})
	want := []string{
		`plan.yaml:3:32: step "a": needs: unknown step "ghost"`,
		`plan.yaml:3:47: step "a": unknown limits pool "pool" (the plan defines no limits)`,
	}
	if diff := cmp.Diff(want, errorLines(t, err)); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

// TestMarkedDocument: document markers around the one document, and an
// empty document after it, are no second document.
func TestMarkedDocument(t *testing.T) {
	p := mustLoad(t, map[string]string{"plan.yaml": "---\nversion: 1\nsteps: [{id: a, kind: echo}]\n...\n---\n"})
	if len(p.Steps) != 1 {
		t.Errorf("%d steps, want 1", len(p.Steps))
	}
}

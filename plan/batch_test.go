package plan

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// stepView is the part of a step the batch tests compare.
type stepView struct {
	ID, Batch, Item string
	Needs           []string
	With            map[string]any
}

func views(p *Plan) []stepView {
	out := make([]stepView, len(p.Steps))
	for i, s := range p.Steps {
		out[i] = stepView{s.ID, s.Batch, s.Item, s.Needs, s.With}
	}
	return out
}

const batchTail = `
    steps:
      - id: fetch
        kind: echo
        with: {message: "${{ item.name }}@${{ vars.site }}", count: "${{ item.n }}", host: local}
      - id: ship
        kind: xfer
        needs: [prepare]
        with: {from: "local:${{ steps.fetch.outputs.message }}", to: "local:/out/${{ steps.prepare.outputs.message }}"}
  - {id: report, kind: echo, needs: [ship], with: {message: "${{ steps.ship[b].outputs.path }}"}}
`

const batchHead = `version: 1
vars: {site: eu}
steps:
  - {id: prepare, kind: echo}
  - batch: models
`

func TestBatches(t *testing.T) {
	wantItems := func(k1, k2 string, n1, n2 any) []stepView {
		return []stepView{
			{ID: "prepare"},
			{ID: "fetch[" + k1 + "]", Batch: "models", Item: k1, With: map[string]any{"message": "a@eu", "count": n1, "host": "local"}},
			{ID: "ship[" + k1 + "]", Batch: "models", Item: k1, Needs: []string{"prepare", "fetch[" + k1 + "]"},
				With: map[string]any{"from": "local:${{ steps.fetch[" + k1 + "].outputs.message }}", "to": "local:/out/${{ steps.prepare.outputs.message }}"}},
			{ID: "fetch[" + k2 + "]", Batch: "models", Item: k2, With: map[string]any{"message": "b@eu", "count": n2, "host": "local"}},
			{ID: "ship[" + k2 + "]", Batch: "models", Item: k2, Needs: []string{"prepare", "fetch[" + k2 + "]"},
				With: map[string]any{"from": "local:${{ steps.fetch[" + k2 + "].outputs.message }}", "to": "local:/out/${{ steps.prepare.outputs.message }}"}},
			{ID: "report", Needs: []string{"ship[" + k1 + "]", "ship[" + k2 + "]"}, With: map[string]any{"message": "${{ steps.ship[b].outputs.path }}"}},
		}
	}
	tests := map[string]struct {
		files map[string]string
		want  []stepView
	}{
		"inline list keyed": {
			files: map[string]string{"plan.yaml": batchHead + `    for_each: {items: [{name: a, n: 1}, {name: b, n: 2}], key: name}` + batchTail},
			want:  wantItems("a", "b", 1.0, 2.0),
		},
		"csv file keyed": {
			files: map[string]string{
				"plan.yaml":      batchHead + `    for_each: {file: data/items.csv, key: name}` + batchTail,
				"data/items.csv": "name,n\na,1\nb,2\n",
			},
			want: wantItems("a", "b", "1", "2"),
		},
		"csv file, semicolons (a spreadsheet's list separator)": {
			files: map[string]string{
				"plan.yaml":      batchHead + `    for_each: {file: data/items.csv, key: name}` + batchTail,
				"data/items.csv": "\uFEFFname;n\r\na;1\r\nb;2\r\n",
			},
			want: wantItems("a", "b", "1", "2"),
		},
		"csv file, tabs": {
			files: map[string]string{
				"plan.yaml":      batchHead + `    for_each: {file: data/items.csv, key: name}` + batchTail,
				"data/items.csv": "name\tn\na\t1\nb\t2\n",
			},
			want: wantItems("a", "b", "1", "2"),
		},
		"csv file, commas, semicolons in values": {
			files: map[string]string{
				"plan.yaml":      batchHead + `    for_each: {file: data/items.csv, key: name}` + batchTail,
				"data/items.csv": "name,n,note\na,1,x;y\nb,2,z\n",
			},
			want: wantItems("a", "b", "1", "2"),
		},
		"yaml file keyed": {
			files: map[string]string{
				"plan.yaml": batchHead + `    for_each: {file: items.yml, key: name}` + batchTail,
				"items.yml": "- {name: a, n: 1}\n- {name: b, n: 2}\n",
			},
			want: wantItems("a", "b", 1.0, 2.0),
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p := mustLoad(t, tc.files)
			if diff := cmp.Diff(tc.want, views(p)); diff != "" {
				t.Errorf("steps mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBatchScalarsExpand(t *testing.T) {
	p := mustLoad(t, map[string]string{"plan.yaml": `version: 1
steps:
  - batch: hosts
    for_each: [alpha, beta]
    steps:
      - {id: ping, kind: echo, with: {message: "hi ${{ item.value }}"}}
  - {id: done, kind: echo, needs: [hosts]}
`})
	want := []stepView{
		{ID: "ping[0]", Batch: "hosts", Item: "0", With: map[string]any{"message": "hi alpha"}},
		{ID: "ping[1]", Batch: "hosts", Item: "1", With: map[string]any{"message": "hi beta"}},
		{ID: "done", Needs: []string{"ping[0]", "ping[1]"}},
	}
	if diff := cmp.Diff(want, views(p)); diff != "" {
		t.Errorf("steps mismatch (-want +got):\n%s", diff)
	}
}

func TestBatchItemExpressions(t *testing.T) {
	p := mustLoad(t, map[string]string{
		"plan.yaml": "version: 1\nvars: {root: /data}\nsteps:\n  - batch: b\n    for_each: {file: i.csv}\n    steps: [{id: s, kind: echo, with: {message: \"${{ item.path }}\"}}]\n",
		"i.csv":     "path\n${{ vars.root }}/a\n${{ env.REGION }}/b\n",
	})
	want := []stepView{
		{ID: "s[0]", Batch: "b", Item: "0", With: map[string]any{"message": "/data/a"}},
		{ID: "s[1]", Batch: "b", Item: "1", With: map[string]any{"message": "${{ env.REGION }}/b"}},
	}
	if diff := cmp.Diff(want, views(p)); diff != "" {
		t.Errorf("steps mismatch (-want +got):\n%s", diff)
	}
	_, err := load(t, map[string]string{
		"plan.yaml": "version: 1\nsteps:\n  - batch: b\n    for_each: {file: i.csv}\n    steps: [{id: s, kind: echo, with: {message: \"${{ item.path }}\"}}]\n",
		"i.csv":     "path\n${{ vars.root }}\n${{ item.x }}\n",
	})
	wantErrs := []string{
		`i.csv:2:1: batch "b": item 0: path: unknown var "root"`,
		`i.csv:3:1: batch "b": item 1: path: ${{ item.x }}: only ${{ vars.NAME }} and ${{ env.NAME }} may be used in items`,
	}
	if diff := cmp.Diff(wantErrs, errorLines(t, err)); diff != "" {
		t.Errorf("errors mismatch (-want +got):\n%s", diff)
	}
}

func TestBatchErrors(t *testing.T) {
	tests := map[string]struct {
		files map[string]string
		want  []string
	}{
		"duplicate keys": {
			files: map[string]string{
				"plan.yaml": "version: 1\nsteps:\n  - batch: b\n    for_each: {file: x.csv, key: name}\n    steps: [{id: s, kind: echo, with: {message: \"${{ item.port }}\"}}]\n",
				"x.csv":     "name,port\nm1,1\nm2,2\nm1,3\n",
			},
			want: []string{`x.csv:4:1: batch "b": duplicate item key "m1" (first at x.csv:2:1)`},
		},
		"only batches, without items": {
			files: map[string]string{
				"plan.yaml": "version: 1\nsteps:\n  - batch: b\n    for_each: {file: x.csv, key: name}\n    steps: [{id: s, kind: echo}]\n",
				"x.csv":     "name,port\n",
			},
			want: []string{`plan.yaml:4:15: batch "b" has no items: the plan has no step to run`},
		},
		"unusable keys": {
			files: map[string]string{"plan.yaml": `version: 1
steps:
  - batch: b
    for_each: {items: [{name: "a]"}, {name: "x}}"}, {name: ""}, {name: ok}], key: name}
    steps: [{id: s, kind: echo}]
`},
			want: []string{
				`plan.yaml:4:24: batch "b": item key "a]": want a non-empty value without brackets, braces or line breaks`,
				`plan.yaml:4:38: batch "b": item key "x}}": want a non-empty value without brackets, braces or line breaks`,
				`plan.yaml:4:53: batch "b": item key "": want a non-empty value without brackets, braces or line breaks`,
			},
		},
		"missing key field": {
			files: map[string]string{"plan.yaml": `version: 1
steps:
  - batch: b
    for_each: {items: [{name: a}, {nom: b}], key: name}
    steps: [{id: s, kind: echo}]
`},
			want: []string{`plan.yaml:4:35: batch "b": item 1 has no key field "name"`},
		},
		"bad csv": {
			files: map[string]string{
				"plan.yaml": "version: 1\nsteps:\n  - batch: b\n    for_each: {file: x.csv}\n    steps: [{id: s, kind: echo}]\n",
				"x.csv":     "name,port\nm1,1\nm2\n",
			},
			want: []string{`x.csv:3:1: batch "b": read CSV: wrong number of fields`},
		},
		"missing file and wrong extension": {
			files: map[string]string{"plan.yaml": `version: 1
steps:
  - batch: b
    for_each: {file: nope.csv}
    steps: [{id: s, kind: echo}]
  - batch: c
    for_each: {file: items.txt}
    steps: [{id: t, kind: echo}]
`},
			want: []string{
				`plan.yaml:4:22: batch "b": read for_each file: no such file or directory`,
				`plan.yaml:7:22: batch "c": for_each.file: want a .csv, .yaml or .yml file, got "items.txt"`,
			},
		},
		"item fields and references": {
			files: map[string]string{"plan.yaml": `version: 1
steps:
  - {id: top, kind: echo, with: {message: "${{ steps.s.outputs.x }}"}}
  - batch: b
    for_each: [{name: a, port: 1}, {name: b}, {name: c}, {name: d}, {name: e}, {name: f}]
    steps:
      - {id: s, kind: echo, with: {message: "${{ item.colour }}", count: "${{ item.port }}"}}
      - {id: u, kind: echo, needs: [b], with: {message: "${{ steps.s[9].outputs.x }}"}}
`},
			want: []string{
				`plan.yaml:3:44: step "top": step "s" is in batch "b": name one item, as steps.s[KEY].outputs.NAME`,
				`plan.yaml:7:46: step "s": unknown item field "colour" (fields: name, port)`,
				`plan.yaml:7:75: step "s": items 1, 2, 3 and 2 more have no field "port"`,
				`plan.yaml:8:37: step "u": needs: a step cannot need its own batch "b"`,
				`plan.yaml:8:58: step "u": unknown step "s[9]": batch "b" has no item "9" (items: 0, 1, 2, 3, 4, 5)`,
			},
		},
		"per-item problems are merged": {
			files: map[string]string{"plan.yaml": `version: 1
steps:
  - batch: b
    for_each: [{n: 1}, {n: x}, {n: x}, {n: -2}, {n: -3}]
    steps:
      - {id: s, kind: echo, with: {count: "${{ item.n }}"}}
`},
			want: []string{
				`plan.yaml:6:43: step "s" (items 1, 2): with.count: cannot read "x" as an integer`,
				`plan.yaml:6:43: step "s" (items 3, 4): with.count: must not be negative`,
			},
		},
		"cycle inside every item": {
			files: map[string]string{"plan.yaml": `version: 1
steps:
  - batch: b
    for_each: [x, y, z]
    steps:
      - {id: s, kind: echo, needs: [t]}
      - {id: t, kind: echo, needs: [s]}
`},
			want: []string{`plan.yaml:6:9: dependency cycle in batch "b" (items 0, 1, 2): s -> t -> s`},
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

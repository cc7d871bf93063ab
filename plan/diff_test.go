package plan

import (
	"maps"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/planrun/planrun/hosts"
)

func TestDiff(t *testing.T) {
	old := &Plan{Steps: []*Step{
		{ID: "a", Kind: "echo", With: map[string]any{"message": "x"}},
		{ID: "b", Kind: "echo", Needs: []string{"a"}},
		{ID: "c", Kind: "echo", Needs: []string{"a", "b"}},
		{ID: "gone", Kind: "echo"},
	}}
	tests := map[string]struct {
		new      []*Step
		want     Drift
		wantText string
	}{
		"same": {
			new:      old.Steps,
			want:     Drift{},
			wantText: "no changes\n",
		},
		"params only": {
			new: []*Step{
				{ID: "a", Kind: "echo", With: map[string]any{"message": "y"}},
				{ID: "b", Kind: "echo", Needs: []string{"a"}, Timeout: Duration(5)},
				{ID: "c", Kind: "echo", Needs: []string{"b", "a"}},
				{ID: "gone", Kind: "xfer"},
			},
			want:     Drift{ParamChanged: []string{"a", "gone"}},
			wantText: "--- checkpoint plan\n+++ new plan\n~step a: parameters changed\n~step gone: parameters changed\n",
		},
		"structure": {
			new: []*Step{
				{ID: "a", Kind: "echo", With: map[string]any{"message": "x"}},
				{ID: "b", Kind: "echo", Needs: []string{"a"}},
				{ID: "c", Kind: "echo", Needs: []string{"b"}},
				{ID: "new", Kind: "echo", Needs: []string{"c"}},
			},
			want: Drift{Added: []string{"new"}, Removed: []string{"gone"}, NeedsChanged: []string{"c"}, StructureChanged: true},
			wantText: "--- checkpoint plan\n+++ new plan\n" +
				"-step c (echo) needs a, b\n+step c (echo) needs b\n" +
				"-step gone (echo)\n" +
				"+step new (echo) needs c\n",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := Diff(old, &Plan{Steps: tc.new})
			if diff := cmp.Diff(tc.want, got, cmpopts.IgnoreUnexported(Drift{})); diff != "" {
				t.Errorf("Diff mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantText, got.String()); diff != "" {
				t.Errorf("String mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDownstreamAndGraph(t *testing.T) {
	p := &Plan{Steps: []*Step{
		{ID: "a"}, {ID: "b", Needs: []string{"a"}}, {ID: "c", Needs: []string{"b"}},
		{ID: "d"}, {ID: "e", Needs: []string{"d", "a"}},
	}}
	if diff := cmp.Diff([]string{"b", "c"}, DownstreamOf(p, []string{"b"})); diff != "" {
		t.Errorf("DownstreamOf(b) (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"a", "b", "c", "d", "e"}, DownstreamOf(p, []string{"d", "a", "zz"})); diff != "" {
		t.Errorf("DownstreamOf(d, a) (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"a", "b", "c"}, UpstreamOf(p, []string{"c"})); diff != "" {
		t.Errorf("UpstreamOf(c) (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"a", "b", "d", "e"}, UpstreamOf(p, []string{"e", "b", "zz"})); diff != "" {
		t.Errorf("UpstreamOf(e, b) (-want +got):\n%s", diff)
	}
	if got := UpstreamOf(p, nil); len(got) != 0 {
		t.Errorf("UpstreamOf() = %v, want none", got)
	}
	order, err := p.Graph().TopoOrder()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a", "b", "c", "d", "e"}, order); diff != "" {
		t.Errorf("TopoOrder (-want +got):\n%s", diff)
	}
}

func TestMultipleFilesAndHostsFile(t *testing.T) {
	files := map[string]string{
		"plan.yaml": `version: 1
name: main
hosts: inventory/hosts.yaml
vars: {a: "1"}
limits: {net: 1}
steps:
  - {id: one, kind: xfer, with: {from: "box:/x", to: "local:/y"}}
`,
		"more.yaml": `version: 1
vars: {b: "2"}
defaults: {timeout: 1m}
steps:
  - {id: two, kind: echo, needs: [one], limits: [net], with: {message: "${{ vars.a }}${{ vars.b }}"}}
`,
		"inventory/hosts.yaml": "box: {ssh: app@box:2222}\n",
	}
	p := mustLoad(t, files, "plan.yaml", "more.yaml")
	if p.Name != "main" || p.Hosts["box"].SSH != "app@box:2222" || len(p.Steps) != 2 {
		t.Fatalf("merged plan = %+v", p)
	}
	if got := p.Steps[1].With["message"]; got != "12" || p.Steps[1].Timeout != Duration(60e9) || p.Steps[0].Timeout != 0 {
		t.Errorf("two: message %v timeout %v; one timeout %v", got, p.Steps[1].Timeout, p.Steps[0].Timeout)
	}

	files["more.yaml"] = "version: 1\nvars: {a: dup}\nsteps:\n  - {id: one, kind: echo}\n"
	files["inventory/hosts.yaml"] = "box: {ssh: app@box, port: 22}\nlocal: {ssh: me@elsewhere}\n"
	_, err := load(t, files, "plan.yaml", "more.yaml")
	want := []string{
		`inventory/hosts.yaml:1:21: box: unknown field "port"`,
		`inventory/hosts.yaml:2:1: hosts.local: the local host cannot have ssh: it is this machine`,
		`more.yaml:2:8: var "a" is already defined at plan.yaml:4:8`,
		`more.yaml:4:10: duplicate step id "one" (first defined at plan.yaml:7:10)`,
	}
	if diff := cmp.Diff(want, errorLines(t, err)); diff != "" {
		t.Errorf("errors mismatch (-want +got):\n%s", diff)
	}
}

// TestInventoryHostsFile: a plan may name `planrun init`'s inventory
// (top-level hosts: and parties:) as its hosts file; errors inside it
// still point into that file.
func TestInventoryHostsFile(t *testing.T) {
	files := map[string]string{
		"plan.yaml": `version: 1
hosts: hosts.yaml
steps:
  - {id: one, kind: xfer, with: {from: "old:/x", to: "new:/y"}}
`,
		"hosts.yaml": "hosts:\n  old: {ssh: app@10.1.0.5}\n  new: {ssh: app@10.2.0.5:2222}\nparties:\n  \"guest:9999\": old\n  \"guest:99\": new\n",
	}
	p := mustLoad(t, files, "plan.yaml")
	if p.Hosts["old"].SSH != "app@10.1.0.5" || p.Hosts["new"].SSH != "app@10.2.0.5:2222" || len(p.Hosts) != 2 {
		t.Fatalf("hosts = %+v", p.Hosts)
	}

	files["hosts.yaml"] = "hosts:\n  old: {ssh: app@10.1.0.5, port: 22}\n  new: {ssh: app@10.2.0.5}\nparties: {}\n"
	_, err := load(t, files, "plan.yaml")
	want := []string{`hosts.yaml:2:28: old: unknown field "port"`}
	if diff := cmp.Diff(want, errorLines(t, err)); diff != "" {
		t.Errorf("errors mismatch (-want +got):\n%s", diff)
	}
}

// TestHostsFileElsewhere: a hosts file in another directory names its
// files relative to itself; the plan gets them relative to the plan's
// directory (inline hosts and absolute or ~ names are left as they are).
func TestHostsFileElsewhere(t *testing.T) {
	files := map[string]string{
		"plans/plan.yaml": `version: 1
hosts: ../inv/hosts.yaml
steps:
  - {id: one, kind: xfer, with: {from: "old:/x", to: "here:y"}}
`,
		"inv/hosts.yaml": `old: {ssh: alias-old, ssh_config: ssh_config, known_hosts: kh, identity_files: [keys/id, /abs/id, ~/.ssh/id]}
here: {root: clusters/a}
home: {root: ~/fate}
`,
		"inv/ssh_config": "Host alias-old\n  HostName 10.1.0.5\n  User app\n",
	}
	p := mustLoad(t, files, "plans/plan.yaml")
	want := map[string]hosts.Spec{
		"old": {SSH: "alias-old", SSHConfig: "../inv/ssh_config", KnownHosts: "../inv/kh",
			IdentityFiles: []string{"../inv/keys/id", "/abs/id", "~/.ssh/id"}},
		"here": {Root: "../inv/clusters/a"},
		"home": {Root: "~/fate"},
	}
	if diff := cmp.Diff(want, p.Hosts); diff != "" {
		t.Errorf("hosts (-want +got):\n%s", diff)
	}
}

// TestDiffMovedHost: a step whose parameters are the same but whose host
// now points at another machine or directory is changed; a host whose
// login alone changed, or one the step does not use, is not.
func TestDiffMovedHost(t *testing.T) {
	steps := []*Step{
		{ID: "copy", Kind: "transfer", With: map[string]any{"from": "local:m", "to": "new:/in/"}},
		{ID: "imp", Kind: "import", Host: "new", With: map[string]any{"file": "/in/m.zip"}},
		{ID: "other", Kind: "exec", With: map[string]any{"host": "old", "command": "true"}},
		{ID: "list", Kind: "exec", With: map[string]any{"args": []any{"x", "new:y"}, "command": "ls"}},
	}
	base := map[string]hosts.Spec{"new": {SSH: "app@10.0.0.1", FateBase: "/fate"}, "old": {SSH: "app@10.0.0.9"}}
	for _, tc := range []struct {
		name string
		new  hosts.Spec
		want map[string]string
	}{
		{"another address", hosts.Spec{SSH: "app@10.0.0.2", FateBase: "/fate"}, map[string]string{"copy": "new", "imp": "new", "list": "new"}},
		{"another FATE base", hosts.Spec{SSH: "app@10.0.0.1", FateBase: "/data/fate"}, map[string]string{"copy": "new", "imp": "new", "list": "new"}},
		{"another key and timeout", hosts.Spec{SSH: "app@10.0.0.1", FateBase: "/fate", IdentityFiles: []string{"k"}, ConnectTimeout: "3s"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hs := maps.Clone(base)
			hs["new"] = tc.new
			d := Diff(&Plan{Hosts: base, Steps: steps}, &Plan{Hosts: hs, Steps: steps})
			if diff := cmp.Diff(tc.want, d.MovedHosts); diff != "" {
				t.Errorf("moved (-want +got):\n%s", diff)
			}
			if want := slices.Sorted(maps.Keys(tc.want)); !slices.Equal(d.ParamChanged, want) || d.StructureChanged {
				t.Errorf("param changed %v, structure %v; want %v, false", d.ParamChanged, d.StructureChanged, want)
			}
		})
	}
}

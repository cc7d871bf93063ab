package view

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func samplePreview() Preview {
	return Preview{
		Name: "party-id-change",
		Hash: "sha256:4b227777d4dd1fc61c6f884f48641d02b4d121d3fd328cb08b5531fcacdabf8a",
		Steps: []PreviewStep{
			{ID: "copy-guest", Kind: "transfer", Host: "old-guest", Action: ActionSkip, Reason: "already succeeded in run 20261125-193000-ab12"},
			{ID: "migrate-guest", Kind: "migrate", Host: "local", Needs: []string{"copy-guest"}, Action: ActionRun},
			{ID: "m1-ship", Kind: "transfer", Host: "new-guest", Batch: "models", Item: "m1", Needs: []string{"migrate-guest"}, Action: ActionRun},
			{ID: "m1-import", Kind: "import", Host: "new-guest", Batch: "models", Item: "m1", Needs: []string{"m1-ship"}, Action: ActionRun},
			{ID: "m2-ship", Kind: "transfer", Host: "new-guest", Batch: "models", Item: `m"2`, Needs: []string{"migrate-guest"}, Action: ActionSkip, Reason: "already done"},
			{ID: "verify", Kind: "exec", Needs: []string{"m1-import", "m2-ship"}, Action: ActionRun},
		},
	}
}

func TestRenderPlanGolden(t *testing.T) {
	for _, format := range PlanFormats {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := RenderPlan(&buf, format, samplePreview()); err != nil {
				t.Fatal(err)
			}
			golden(t, "plan."+format+".golden", buf.Bytes())
		})
	}
}

func TestRenderPlanJSONRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	if err := RenderPlan(&buf, "json", samplePreview()); err != nil {
		t.Fatal(err)
	}
	var got Preview
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(samplePreview(), got); diff != "" {
		t.Errorf("round trip mismatch (-want +got):\n%s", diff)
	}
}

func TestRenderPlanGraphs(t *testing.T) {
	p := samplePreview()
	var dot, mer bytes.Buffer
	RenderPlan(&dot, "dot", p)
	RenderPlan(&mer, "mermaid", p)
	// every edge appears once in each graph
	edges := 0
	for _, s := range p.Steps {
		for _, n := range s.Needs {
			edges++
			if !strings.Contains(dot.String(), `"`+n+`" -> "`+s.ID+`";`) {
				t.Errorf("dot misses edge %s -> %s", n, s.ID)
			}
		}
	}
	if got := strings.Count(dot.String(), " -> "); got != edges {
		t.Errorf("dot has %d edges, want %d", got, edges)
	}
	if got := strings.Count(mer.String(), " --> "); got != edges {
		t.Errorf("mermaid has %d edges, want %d", got, edges)
	}
	if strings.Count(dot.String(), "{") != strings.Count(dot.String(), "}") {
		t.Errorf("dot braces unbalanced:\n%s", dot.String())
	}
	if strings.Count(mer.String(), "subgraph") != strings.Count(mer.String(), "  end\n") {
		t.Errorf("mermaid subgraphs unbalanced:\n%s", mer.String())
	}
}

func TestRenderPlanUnknownFormat(t *testing.T) {
	err := RenderPlan(&bytes.Buffer{}, "yaml", samplePreview())
	if err == nil || !strings.Contains(err.Error(), "text, json, dot, mermaid") {
		t.Fatalf("got %v, want an error listing the valid formats", err)
	}
}

func TestRenderPlanEmpty(t *testing.T) {
	for _, format := range PlanFormats {
		var buf bytes.Buffer
		if err := RenderPlan(&buf, format, Preview{}); err != nil {
			t.Errorf("%s: %v", format, err)
		}
		if buf.Len() == 0 {
			t.Errorf("%s: empty output", format)
		}
	}
}

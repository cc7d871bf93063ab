package view

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// planDot writes p as a Graphviz digraph: one box per step labelled with
// its id, kind and host; skipped steps dashed and grey with the reason;
// batch items as clusters; an edge from each need to its step.
func planDot(w io.Writer, p Preview) error {
	bw := bufio.NewWriter(w)
	name := p.Name
	if name == "" {
		name = "plan"
	}
	fmt.Fprintf(bw, "digraph %s {\n", dotQuote(name))
	bw.WriteString("  rankdir=LR;\n")
	bw.WriteString("  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n")
	group, open := "\x00", false
	cluster := 0
	for _, s := range p.Steps {
		if g := s.Batch + "\x00" + s.Item; g != group {
			group = g
			if open {
				bw.WriteString("  }\n")
				open = false
			}
			if s.Batch != "" || s.Item != "" {
				fmt.Fprintf(bw, "  subgraph cluster_%d {\n    label=%s;\n    style=dotted;\n", cluster,
					dotQuote(strings.Trim(s.Batch+" "+s.Item, " ")))
				cluster++
				open = true
			}
		}
		indent := "  "
		if open {
			indent = "    "
		}
		label := s.ID + "\n" + s.Kind
		if s.Host != "" {
			label += " @ " + s.Host
		}
		attrs := "label=" + dotQuote(label)
		if s.Action != ActionRun {
			skip := s.Action
			if s.Reason != "" {
				skip += ": " + oneLine(s.Reason)
			}
			attrs = "label=" + dotQuote(label+"\n"+skip) + `, style="rounded,dashed", color=gray50, fontcolor=gray50`
		}
		fmt.Fprintf(bw, "%s%s [%s];\n", indent, dotQuote(s.ID), attrs)
	}
	if open {
		bw.WriteString("  }\n")
	}
	for _, s := range p.Steps {
		for _, n := range s.Needs {
			fmt.Fprintf(bw, "  %s -> %s;\n", dotQuote(n), dotQuote(s.ID))
		}
	}
	bw.WriteString("}\n")
	return bw.Flush()
}

// dotQuote quotes s as a Graphviz string ("\n" becomes a centred line break).
func dotQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}

// planMermaid writes p as a Mermaid flowchart (top-down). Node ids are
// n0, n1, ... (step ids may hold characters Mermaid does not accept);
// labels carry the step id, kind and host; batch items are subgraphs;
// skipped steps get class "skip".
func planMermaid(w io.Writer, p Preview) error {
	bw := bufio.NewWriter(w)
	ids := make(map[string]string, len(p.Steps))
	for i, s := range p.Steps {
		ids[s.ID] = "n" + strconv.Itoa(i)
	}
	if p.Name != "" {
		fmt.Fprintf(bw, "---\ntitle: %s\n---\n", mermaidText(p.Name))
	}
	bw.WriteString("flowchart TD\n")
	group, open := "\x00", false
	var skipped []string
	for i, s := range p.Steps {
		if g := s.Batch + "\x00" + s.Item; g != group {
			group = g
			if open {
				bw.WriteString("  end\n")
				open = false
			}
			if s.Batch != "" || s.Item != "" {
				fmt.Fprintf(bw, "  subgraph g%d [\"%s\"]\n", i, mermaidText(strings.Trim(s.Batch+" "+s.Item, " ")))
				open = true
			}
		}
		indent := "  "
		if open {
			indent = "    "
		}
		label := mermaidText(s.ID) + "<br/>" + mermaidText(s.Kind)
		if s.Host != "" {
			label += " @ " + mermaidText(s.Host)
		}
		if s.Action != ActionRun {
			label += "<br/><i>" + s.Action
			if s.Reason != "" {
				label += ": " + mermaidText(oneLine(s.Reason))
			}
			label += "</i>"
			skipped = append(skipped, ids[s.ID])
		}
		fmt.Fprintf(bw, "%s%s[\"%s\"]\n", indent, ids[s.ID], label)
	}
	if open {
		bw.WriteString("  end\n")
	}
	for _, s := range p.Steps {
		for _, n := range s.Needs {
			from, ok := ids[n]
			if !ok { // a need outside the preview (e.g. --only): show it plainly
				from = "x_" + strconv.Itoa(len(ids))
				ids[n] = from
				fmt.Fprintf(bw, "  %s[\"%s\"]\n", from, mermaidText(n))
			}
			fmt.Fprintf(bw, "  %s --> %s\n", from, ids[s.ID])
		}
	}
	if len(skipped) > 0 {
		bw.WriteString("  classDef skip fill:#eeeeee,stroke:#999999,color:#777777,stroke-dasharray:5 5\n")
		fmt.Fprintf(bw, "  class %s skip\n", strings.Join(skipped, ","))
	}
	return bw.Flush()
}

// mermaidText escapes s for a quoted Mermaid label.
func mermaidText(s string) string {
	r := strings.NewReplacer(`"`, "#quot;", "<", "#lt;", ">", "#gt;", "\n", " ")
	return r.Replace(s)
}

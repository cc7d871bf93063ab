package main

import (
	"os"
	"strings"
	"testing"

	"github.com/planrun/planrun/schemas"
)

const (
	refBegin = "<!-- BEGIN PLAN REFERENCE -->\n"
	refEnd   = "<!-- END PLAN REFERENCE -->"
)

// readmeReference is the plan reference as the README holds it: the
// schema's Markdown rendering with every heading one level deeper.
func readmeReference() string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(schemas.Reference(), "\n") {
		if strings.HasPrefix(line, "#") {
			line = "##" + line
		}
		b.WriteString(line)
	}
	s := b.String()
	if !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	return s
}

// TestReadmeReference keeps the README's plan reference equal to the one
// generated from the embedded JSON Schema, so it cannot drift.
// UPDATE_README=1 rewrites it.
func TestReadmeReference(t *testing.T) {
	const path = "../../README.md"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i, j := strings.Index(s, refBegin), strings.Index(s, refEnd)
	if i < 0 || j < i {
		t.Fatalf("README.md has no %q ... %q block", refBegin, refEnd)
	}
	want := readmeReference()
	got := s[i+len(refBegin) : j]
	if got == want {
		return
	}
	if os.Getenv("UPDATE_README") != "" {
		s = s[:i+len(refBegin)] + want + s[j:]
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README.md's plan reference is out of date with the schema; run UPDATE_README=1 go test ./cmd/planrun -run TestReadmeReference")
}

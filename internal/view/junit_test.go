package view

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/planrun/planrun/runner/checkpoint"
)

func TestJUnitGolden(t *testing.T) {
	path := filepath.Join(t.TempDir(), "report.xml")
	j := NewJUnit(path)
	j.SetName("party-id-change")
	for _, e := range runEvents() {
		j.Event(e)
	}
	// A step that started but never finished is reported as an error.
	j.Event(checkpoint.Event{Type: checkpoint.StepStarted, Step: "late", Kind: "exec", Time: t0})
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "junit.golden.xml", raw)

	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Errors   int `xml:"errors,attr"`
		Skipped  int `xml:"skipped,attr"`
		Suites   []struct {
			Name  string `xml:"name,attr"`
			Cases []struct {
				Name      string    `xml:"name,attr"`
				Classname string    `xml:"classname,attr"`
				Failure   *struct{} `xml:"failure"`
				Skipped   *struct{} `xml:"skipped"`
				Error     *struct{} `xml:"error"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("report is not valid XML: %v", err)
	}
	type row struct{ Suite, Case, Class, Result string }
	var got []row
	for _, s := range doc.Suites {
		for _, c := range s.Cases {
			r := row{s.Name, c.Name, c.Classname, "ok"}
			switch {
			case c.Failure != nil:
				r.Result = "failure"
			case c.Skipped != nil:
				r.Result = "skipped"
			case c.Error != nil:
				r.Result = "error"
			}
			got = append(got, r)
		}
	}
	want := []row{
		{"party-id-change", "copy-guest", "party-id-change", "ok"},
		{"party-id-change", "migrate-guest", "party-id-change", "ok"},
		{"party-id-change", "late", "party-id-change", "error"},
		{"models", "m1-ship", "models", "ok"},
		{"models", "m2-ship", "models", "failure"},
		{"models", "m1-import", "models", "ok"},
		{"models", "m2-import", "models", "skipped"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("testcases mismatch (-want +got):\n%s", diff)
	}
	if doc.Tests != 7 || doc.Failures != 1 || doc.Skipped != 1 || doc.Errors != 1 {
		t.Errorf("totals tests=%d failures=%d skipped=%d errors=%d", doc.Tests, doc.Failures, doc.Skipped, doc.Errors)
	}
}

func TestJUnitUnwritable(t *testing.T) {
	j := NewJUnit(filepath.Join(t.TempDir(), "missing-dir", "report.xml"))
	if err := j.Close(); err == nil {
		t.Fatal("Close succeeded writing into a missing directory")
	}
}

package plan

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/planrun/planrun/schemas"
	"go.yaml.in/yaml/v3"
)

// source is one plan file.
type source struct {
	name string // as given
	dir  string // directory relative paths resolve against
	root *yaml.Node
}

// parseYAML reads and parses a YAML file; problems are collected.
func (l *loader) parseYAML(name string) *yaml.Node {
	b, err := os.ReadFile(name)
	if err != nil {
		l.c.add(Pos{File: name}, "read plan: %v", unwrapPath(err))
		return nil
	}
	l.lines[name] = strings.Split(string(b), "\n")
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(b))
	err = dec.Decode(&root)
	if errors.Is(err, io.EOF) {
		return &root // empty: the caller says so
	}
	if err == nil {
		// A second document is not read: say so rather than drop it.
		const second = "a second YAML document (after ---): planrun reads one document per file; " +
			"put it in a file of its own"
		var next yaml.Node
		switch err := dec.Decode(&next); {
		case err == nil:
			if n := deref(&next); n != nil && !(n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null") {
				l.c.add(posOf(name, n), second)
			}
		case !errors.Is(err, io.EOF):
			l.c.add(yamlErrPos(name, err), "%s (it does not parse: %s)", second, yamlProblem(err))
		}
	}
	if err != nil {
		pos, msg := fixContextLine(yamlErrPos(name, err), yamlErrMsg(err), l.lines[name]), yamlProblem(err)
		if strings.Contains(msg, "tab character") || strings.Contains(msg, "cannot start any token") {
			// yaml's line is the tab's, or the one before it.
			ls := l.lines[name]
			for n := pos.Line; n >= 1 && n <= len(ls) && n <= pos.Line+1; n++ {
				line := ls[n-1]
				indent := line[:len(line)-len(strings.TrimLeft(line, " \t"))]
				if i := strings.IndexByte(indent, '\t'); i >= 0 {
					pos.Line, pos.Col = n, i+1
					if !strings.Contains(msg, "tab character") {
						msg += " (a tab: YAML indents with spaces only)"
					}
					break
				}
			}
		}
		l.c.add(pos, "parse YAML: %s", msg)
		return nil
	}
	l.dupKeys(name, &root, 0)
	return &root
}

// dupKeys reports a key written twice in one mapping (YAML forbids it,
// and the node tree would keep both, one of them unseen). Aliases are
// not followed: what they point at is checked where it is written.
func (l *loader) dupKeys(file string, n *yaml.Node, depth int) {
	if n == nil || depth > maxDepth {
		return
	}
	if n.Kind == yaml.MappingNode {
		seen := map[string]*yaml.Node{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode || k.ShortTag() == "!!merge" {
				continue
			}
			if first, ok := seen[k.Value]; ok {
				l.c.add(posOf(file, k), "%q is written twice in this mapping (first at line %d): YAML keeps one; remove the other", k.Value, first.Line)
				continue
			}
			seen[k.Value] = k
		}
	}
	for _, c := range n.Content {
		if c.Kind != yaml.AliasNode {
			l.dupKeys(file, c, depth+1)
		}
	}
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// parserContext are the yaml parser's errors that carry the position of
// the construct being parsed (a 0-based line in yaml's message, unlike its
// other errors), with where that construct is.
var parserContext = map[string]string{
	"did not find expected ',' or '}'":    "in the flow mapping { } that starts on this line",
	"did not find expected ',' or ']'":    "in the flow sequence [ ] that starts on this line",
	"did not find expected key":           "in the block mapping that starts on this line (check the indentation)",
	"did not find expected '-' indicator": "in the block sequence that starts on this line (check the indentation)",
	"did not find expected node content":  "in the node that starts on this line",
}

// fixContextLine corrects where a construct "starts on this line" when
// yaml.v3 could not say: for one that starts on the first line it gives
// the line of the problem instead (often past the end of the file). A
// flow mapping or sequence whose opening bracket is not on the line given,
// but is on the first, starts there; a line past the end is the last.
func fixContextLine(p Pos, msg string, lines []string) Pos {
	open := map[string]string{"did not find expected ',' or '}'": "{", "did not find expected ',' or ']'": "["}[msg]
	if _, ok := parserContext[msg]; !ok || len(lines) == 0 {
		return p
	}
	at := func(n int) string {
		if n >= 1 && n <= len(lines) {
			return lines[n-1]
		}
		return ""
	}
	if open != "" && !strings.Contains(at(p.Line), open) && strings.Contains(at(1), open) {
		p.Line = 1
	}
	for p.Line > 1 && (p.Line > len(lines) || strings.TrimSpace(at(p.Line)) == "" && p.Line == len(lines)) {
		p.Line--
	}
	return p
}

func yamlErrPos(file string, err error) Pos {
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		if _, ok := parserContext[yamlErrMsg(err)]; ok {
			n++
		}
		return Pos{File: file, Line: n, Col: 1}
	}
	return Pos{File: file, Line: 1, Col: 1}
}

func yamlErrMsg(err error) string {
	msg := yamlLine.ReplaceAllString(err.Error(), "")
	return strings.TrimPrefix(msg, "yaml: ")
}

// yamlProblem is yaml's message with where the problem lies.
func yamlProblem(err error) string {
	msg := yamlErrMsg(err)
	if where, ok := parserContext[msg]; ok && yamlLine.MatchString(err.Error()) {
		return msg + " " + where
	}
	return msg
}

// readSource parses one plan file and checks it against the schema.
func (l *loader) readSource(name string) *source {
	root := l.parseYAML(name)
	if root == nil {
		return nil
	}
	s := &source{name: name, dir: filepath.Dir(name), root: deref(root)}
	if s.root == nil || s.root.Kind == 0 || s.root.Kind == yaml.ScalarNode && s.root.ShortTag() == "!!null" {
		l.c.add(Pos{File: name, Line: 1, Col: 1}, "plan is empty: want at least version: 1 and steps")
		return nil
	}
	if !l.schemaCheck(name, s.root, schemas.CheckPlan) || s.root.Kind != yaml.MappingNode {
		return nil
	}
	return s
}

// schemaCheck validates root with check and records every problem at its
// node, except problems at a value holding an expression (checked once
// resolved). Nodes with problems are marked bad, with their ancestors. It
// returns false when the document cannot be read any further.
func (l *loader) schemaCheck(file string, root *yaml.Node, check func(any) ([]schemas.Problem, error)) bool {
	doc, overflow := valueChecked(root)
	if overflow {
		l.c.add(Pos{File: file, Line: 1, Col: 1}, "YAML aliases nest deeper than %d levels or expand to more than %d values", maxDepth, maxNodes)
		return false
	}
	problems, err := check(doc)
	if err != nil {
		l.c.add(Pos{File: file}, "check schema: %v", err)
		return false
	}
	for _, p := range problems {
		if p.Key == "" && inWith(p.Path) {
			if v, ok := valueAt(doc, p.Path); ok && hasExpr(v) {
				continue
			}
		}
		if p.BadName {
			if k := findKey(root, p.Key, 0); k != nil {
				l.c.add(posOf(file, k), "%s", p.Msg)
				continue
			}
		}
		node, key, _ := locate(root, p.Path)
		at := node
		if at == nil {
			at = key
		}
		if p.Key != "" {
			if k, _ := mapGet(node, p.Key); k != nil {
				at = k
			}
		}
		l.markBad(root, p.Path)
		l.c.add(posOf(file, at), "%s", describe(root, p.Path, p.Msg))
	}
	return true
}

// inWith reports whether path lies inside a step's `with:` block, the only
// place expressions are resolved.
func inWith(path []string) bool {
	for i := 2; i < len(path); i++ {
		if path[i] == "with" && path[i-2] == "steps" && isIndex(path[i-1]) {
			return true
		}
	}
	return false
}

func (l *loader) markBad(root *yaml.Node, path []string) {
	n := deref(root)
	l.bad[n] = true
	for i := range path {
		m, _, ok := locate(root, path[:i+1])
		if !ok {
			return
		}
		l.bad[m] = true
		n = m
	}
}

// describe prefixes msg with a readable location: the innermost step or
// batch on the path and the field path below it.
func describe(root *yaml.Node, path []string, msg string) string {
	prefix := ""
	var rest []string
	node := deref(root)
	for i := 0; i < len(path); i++ {
		seg := path[i]
		next, _, _ := locate(node, []string{seg})
		if seg == "steps" && i+1 < len(path) && next != nil && next.Kind == yaml.SequenceNode {
			entry, _, _ := locate(next, path[i+1:i+2])
			if _, id := mapGet(entry, "id"); isStr(id) {
				prefix, rest = fmt.Sprintf("step %q", id.Value), nil
			} else if _, b := mapGet(entry, "batch"); isStr(b) {
				prefix, rest = fmt.Sprintf("batch %q", b.Value), nil
			} else {
				rest = append(rest, "steps["+path[i+1]+"]")
			}
			node = entry
			i++
			continue
		}
		if node != nil && node.Kind == yaml.SequenceNode {
			if len(rest) > 0 {
				rest[len(rest)-1] += "[" + seg + "]"
			} else {
				rest = append(rest, "["+seg+"]")
			}
		} else {
			rest = append(rest, seg)
		}
		node = next
	}
	where := strings.Join(rest, ".")
	switch {
	case prefix != "" && where != "":
		return prefix + ": " + where + ": " + msg
	case prefix != "":
		return prefix + ": " + msg
	case where != "":
		return where + ": " + msg
	}
	return msg
}

// findKey finds the first mapping key named name under n.
func findKey(n *yaml.Node, name string, depth int) *yaml.Node {
	if n == nil || depth > maxDepth {
		return nil
	}
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == name {
				return n.Content[i]
			}
		}
	}
	for _, c := range n.Content {
		if c.Kind != yaml.AliasNode {
			if k := findKey(c, name, depth+1); k != nil {
				return k
			}
		}
	}
	return nil
}

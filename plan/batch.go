package plan

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/planrun/planrun/internal/suggest"
)

// loadItems reads a batch's for_each items and names each one.
func (l *loader) loadItems(b *batch) {
	if l.bad[b.forEach] {
		return
	}
	file := b.src.name
	var list *yaml.Node // inline or YAML-file list
	keyField := ""
	switch b.forEach.Kind {
	case yaml.SequenceNode:
		list = b.forEach
	case yaml.MappingNode:
		fk, f := mapGet(b.forEach, "file")
		ik, items := mapGet(b.forEach, "items")
		if _, k := mapGet(b.forEach, "key"); isStr(k) {
			keyField = k.Value
		}
		switch {
		case fk != nil && ik != nil:
			l.c.add(posOf(file, ik), "batch %q: for_each: set file or items, not both", b.name)
			return
		case fk != nil:
			path := f.Value
			if !filepath.IsAbs(path) {
				path = filepath.Join(b.src.dir, path)
			}
			switch strings.ToLower(filepath.Ext(path)) {
			case ".csv":
				b.items = l.readCSV(b, f, path)
			case ".yaml", ".yml":
				root := l.parseYAML(path)
				if root == nil {
					return
				}
				file, list = path, deref(root)
				if list == nil || list.Kind != yaml.SequenceNode {
					l.c.add(posOf(path, list), "batch %q: for_each file must hold a YAML list", b.name)
					return
				}
			default:
				l.c.add(posOf(file, f), "batch %q: for_each.file: want a .csv, .yaml or .yml file, got %q", b.name, f.Value)
				return
			}
		case ik != nil:
			list = items
		default:
			l.c.add(posOf(file, b.forEach), "batch %q: for_each: want a list, {file: ...} or {items: [...]}", b.name)
			return
		}
	}
	if list != nil {
		for i, n := range list.Content {
			n = deref(n)
			it := item{pos: posOf(file, n)}
			switch n.Kind {
			case yaml.MappingNode:
				it.fields, _ = value(n).(map[string]any)
			case yaml.ScalarNode:
				it.fields = map[string]any{"value": value(n)}
			default:
				l.c.add(it.pos, "batch %q: item %d: want a map or a single value", b.name, i)
				continue
			}
			it.key = strconv.Itoa(i)
			b.items = append(b.items, it)
		}
	}
	l.nameItems(b, keyField)
}

// itemKeyBreaks are what an item key never holds: a bracket would make
// ID[KEY] ambiguous, a line break would split a line of output.
const itemKeyBreaks = "[]\n\r"

// validItemKey reports whether key may name a batch item: not empty,
// without itemKeyBreaks, and without braces (a key is put into
// expressions, where "}}" would end one).
func validItemKey(key string) bool {
	return key != "" && !strings.ContainsAny(key, itemKeyBreaks+"{}")
}

// nameItems sets each item's key from keyField (default: its index),
// reporting missing, unusable and duplicate keys, and counts fields.
func (l *loader) nameItems(b *batch, keyField string) {
	b.fields = map[string]int{}
	seen := make(map[string]Pos, len(b.items))
	kept := b.items[:0]
	for i, it := range b.items {
		if keyField != "" {
			v, ok := it.fields[keyField]
			if !ok {
				l.c.add(it.pos, "batch %q: item %d has no key field %q", b.name, i, keyField)
				continue
			}
			it.key = text(v)
		}
		if !validItemKey(it.key) {
			l.c.add(it.pos, "batch %q: item key %q: want a non-empty value without brackets, braces or line breaks", b.name, it.key)
			continue
		}
		if first, ok := seen[it.key]; ok {
			l.c.add(it.pos, "batch %q: duplicate item key %q (first at %s)", b.name, it.key, first)
			continue
		}
		seen[it.key] = it.pos
		kept = append(kept, it)
		for f, v := range it.fields {
			b.fields[f]++
			l.checkItemExprs(b, it, f, v)
		}
	}
	b.items = kept
}

// readCSV reads items from a CSV file whose first row names the fields.
func (l *loader) readCSV(b *batch, at *yaml.Node, path string) []item {
	data, err := os.ReadFile(path)
	if err != nil {
		l.c.add(posOf(b.src.name, at), "batch %q: read for_each file: %v", b.name, unwrapPath(err))
		return nil
	}
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma = CSVComma(data)
	header, err := r.Read()
	if err == io.EOF {
		l.c.add(Pos{File: path, Line: 1, Col: 1}, "batch %q: CSV file is empty: want a header row", b.name)
		return nil
	}
	if err != nil {
		l.csvErr(b, path, err)
		return nil
	}
	cols := map[string]int{}
	for i, h := range header {
		if j, ok := cols[h]; ok {
			line, col := r.FieldPos(i)
			l.c.add(Pos{File: path, Line: line, Col: col}, "batch %q: duplicate CSV column %q (also column %d)", b.name, h, j+1)
			return nil
		}
		cols[h] = i
	}
	var items []item
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return items
		}
		if err != nil {
			l.csvErr(b, path, err)
			return nil
		}
		line, _ := r.FieldPos(0)
		fields := make(map[string]any, len(header))
		for i, h := range header {
			fields[h] = rec[i]
		}
		items = append(items, item{key: strconv.Itoa(len(items)), fields: fields, pos: Pos{File: path, Line: line, Col: 1}})
	}
}

func (l *loader) csvErr(b *batch, path string, err error) {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		l.c.add(Pos{File: path, Line: pe.Line, Col: max(pe.Column, 1)}, "batch %q: read CSV: %v", b.name, pe.Err)
		return
	}
	l.c.add(Pos{File: path}, "batch %q: read CSV: %v", b.name, err)
}

// registerCopies records the id of every batch step copy (ids have no
// brackets, so copies cannot collide with other steps).
func (l *loader) registerCopies() {
	for _, e := range l.entries {
		if e.batch == nil {
			continue
		}
		for _, it := range e.batch.items {
			for _, t := range e.batch.steps {
				l.copies[t.id+"["+it.key+"]"] = true
			}
		}
	}
}

// checkItemExprs checks the expressions in an item's value: vars (replaced
// when the item is used) and env (resolved at run time) only.
func (l *loader) checkItemExprs(b *batch, it item, field string, v any) {
	s, ok := v.(string)
	if !ok || !strings.Contains(s, "${{") {
		return
	}
	where := fmt.Sprintf("batch %q: item %s: %s", b.name, it.key, field)
	refs, err := scanRefs(s)
	if err != nil {
		l.c.add(it.pos, "%s: %v", where, err)
	}
	for _, r := range refs {
		switch r.Scope {
		case "vars":
			if _, ok := l.plan.Vars[r.Name]; !ok {
				l.c.add(it.pos, "%s: unknown var %q%s", where, r.Name, suggest.Hint(r.Name, keys(l.plan.Vars)))
			}
		case "env":
			if _, ok := l.opts.Getenv(r.Name); !ok {
				l.c.add(it.pos, "%s: environment variable %s is not set", where, r.Name)
			}
		default:
			l.c.add(it.pos, "%s: %s: only ${{ vars.NAME }} and ${{ env.NAME }} may be used in items", where, r.Text)
		}
	}
}

// CSVComma is the field separator of a CSV file: a comma, unless its
// header row has none and has semicolons or tabs instead (a spreadsheet
// saved with a locale's list separator, or tab-separated values).
func CSVComma(data []byte) rune {
	header, _, _ := bytes.Cut(data, []byte("\n"))
	if bytes.ContainsRune(header, ',') {
		return ','
	}
	for _, c := range []rune{';', '\t'} {
		if bytes.ContainsRune(header, c) {
			return c
		}
	}
	return ','
}

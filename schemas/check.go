package schemas

import (
	"bytes"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/planrun/planrun/internal/suggest"
)

// Problem is one schema violation.
type Problem struct {
	// Path is the instance location: object keys and array indexes
	// (as decimal strings) from the document root.
	Path []string
	// Key, when set, names an object key at Path that is the problem
	// itself (an unknown field): point at the key, not at the object.
	Key string
	// Msg says what is wrong, in lower case, without the location.
	Msg string
	// BadName marks a key that is not a valid name (propertyNames). Its
	// Path is not to be trusted (the validator reports it wrongly): find
	// the key in the document instead.
	BadName bool
}

// compiled holds the compiled plan schema and its parts.
type compiled struct {
	plan, hosts *jsonschema.Schema
	kinds       map[string]*jsonschema.Schema
	doc         any // the composed schema document (for property names)
}

var compile = sync.OnceValues(func() (*compiled, error) {
	full, err := composed()
	if err != nil {
		return nil, err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(full))
	if err != nil {
		return nil, fmt.Errorf("parse plan schema: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.RegisterFormat(&jsonschema.Format{Name: "duration", Validate: validDuration})
	c.AssertFormat()
	if err := c.AddResource(PlanURL, doc); err != nil {
		return nil, fmt.Errorf("add plan schema: %w", err)
	}
	out := &compiled{kinds: map[string]*jsonschema.Schema{}, doc: doc}
	if out.plan, err = c.Compile(PlanURL); err != nil {
		return nil, fmt.Errorf("compile plan schema: %w", err)
	}
	if out.hosts, err = c.Compile(PlanURL + "#/$defs/hostsFile"); err != nil {
		return nil, fmt.Errorf("compile hosts schema: %w", err)
	}
	for _, k := range Kinds() {
		if out.kinds[k], err = c.Compile(PlanURL + "#/$defs/with-" + k); err != nil {
			return nil, fmt.Errorf("compile schema of kind %s: %w", k, err)
		}
	}
	return out, nil
})

func validDuration(v any) error {
	s, ok := v.(string)
	if !ok {
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return errors.New("want a duration such as 90s, 2m30s or 1h")
	}
	if d < 0 {
		return errors.New("want a duration of zero or more, such as 90s, 2m30s or 1h")
	}
	return nil
}

// CheckPlan validates a decoded plan document (maps, slices, strings,
// numbers, booleans, nil) against the full plan schema.
func CheckPlan(doc any) ([]Problem, error) {
	c, err := compile()
	if err != nil {
		return nil, err
	}
	return check(c.plan, doc), nil
}

// CheckHosts validates a decoded hosts.yaml document.
func CheckHosts(doc any) ([]Problem, error) {
	c, err := compile()
	if err != nil {
		return nil, err
	}
	return check(c.hosts, doc), nil
}

// CheckKind validates a decoded `with:` block against kind name's schema.
// ok is false when the kind has no schema.
func CheckKind(name string, with any) (problems []Problem, ok bool, err error) {
	c, err := compile()
	if err != nil {
		return nil, false, err
	}
	s, ok := c.kinds[name]
	if !ok {
		return nil, false, nil
	}
	return check(s, with), true, nil
}

// Compile compiles every embedded schema, reporting the first failure.
func Compile() error {
	_, err := compile()
	return err
}

func check(s *jsonschema.Schema, doc any) []Problem {
	err := s.Validate(doc)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return []Problem{{Msg: err.Error()}}
	}
	var out []Problem
	flatten(ve, &out)
	return out
}

// properties lists the property names the schema at url (a location in
// the plan schema) declares, with those of the schemas it combines
// (allOf, $ref, if/then/else), for "did you mean" hints.
func (c *compiled) properties(url string) []string {
	_, frag, ok := strings.Cut(url, "#")
	if !ok {
		return nil
	}
	node := pointer(c.doc, frag)
	seen := map[string]bool{}
	var names []string
	var visit func(n any, depth int)
	visit = func(n any, depth int) {
		m, ok := n.(map[string]any)
		if !ok || depth > 4 {
			return
		}
		if props, ok := m["properties"].(map[string]any); ok {
			for k := range props {
				if !seen[k] {
					seen[k] = true
					names = append(names, k)
				}
			}
		}
		if ref, ok := m["$ref"].(string); ok && strings.HasPrefix(ref, "#") {
			visit(pointer(c.doc, ref[1:]), depth+1)
		}
		for _, k := range []string{"then", "else"} {
			visit(m[k], depth+1)
		}
		if all, ok := m["allOf"].([]any); ok {
			for _, a := range all {
				visit(a, depth+1)
			}
		}
	}
	visit(node, 0)
	slices.Sort(names)
	return names
}

// maxHint bounds a field's description quoted in a type error: longer
// ones are cut to their first sentence, or left out.
const maxHint = 160

// description is the description of the schema at url (a location in the
// plan schema), to say what a field of the wrong type is for: a list
// where one command line goes, a number where a duration does.
func (c *compiled) description(url string) string {
	_, frag, ok := strings.Cut(url, "#")
	if !ok {
		return ""
	}
	m, _ := pointer(c.doc, frag).(map[string]any)
	d, _ := m["description"].(string)
	d = strings.TrimSpace(d)
	if len(d) > maxHint {
		// The first sentence: a period and a space not followed by a
		// lower-case letter (as in "e.g. 5m").
		for i := 1; i+2 < len(d) && i < maxHint; i++ {
			if d[i] == '.' && d[i+1] == ' ' && (d[i+2] < 'a' || d[i+2] > 'z') {
				return d[:i+1]
			}
		}
		return ""
	}
	return d
}

// pointer resolves a JSON pointer ("/$defs/host") in doc; nil when it
// leads nowhere.
func pointer(doc any, ptr string) any {
	if ptr == "" {
		return doc
	}
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch v := doc.(type) {
		case map[string]any:
			doc = v[tok]
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(v) {
				return nil
			}
			doc = v[i]
		default:
			return nil
		}
	}
	return doc
}

var printer = message.NewPrinter(language.English)

// flatten turns the error tree into leaf problems with readable messages.
func flatten(e *jsonschema.ValidationError, out *[]Problem) {
	path := e.InstanceLocation
	add := func(key, msg string) {
		*out = append(*out, Problem{Path: path, Key: key, Msg: msg})
	}
	switch k := e.ErrorKind.(type) {
	case *kind.AnyOf, *kind.OneOf, *kind.Not:
		add("", k.LocalizedString(printer))
		return
	case *kind.Type:
		msg := fmt.Sprintf("want %s, got %s", strings.Join(k.Want, " or "), k.Got)
		if c, err := compile(); err == nil {
			if d := c.description(e.SchemaURL); d != "" {
				msg += " (" + d + ")"
			}
		}
		add("", msg)
	case *kind.Required:
		for _, m := range k.Missing {
			add("", fmt.Sprintf("missing field %q", m))
		}
	case *kind.AdditionalProperties:
		var known []string
		if c, err := compile(); err == nil {
			known = c.properties(e.SchemaURL)
		}
		for _, p := range k.Properties {
			add(p, fmt.Sprintf("unknown field %q%s", p, suggest.Hint(p, known)))
		}
	case *kind.FalseSchema:
		if n := len(path); n > 0 {
			path = path[:n-1]
			add(e.InstanceLocation[n-1], fmt.Sprintf("field %q is not allowed", e.InstanceLocation[n-1]))
		} else {
			add("", "not allowed")
		}
	case *kind.Enum:
		add("", fmt.Sprintf("got %s, want one of %s", show(k.Got), showList(k.Want)))
	case *kind.Const:
		add("", fmt.Sprintf("got %s, want %s", show(k.Got), show(k.Want)))
	case *kind.Format:
		if k.Err != nil {
			add("", fmt.Sprintf("%s: %v", show(k.Got), k.Err))
		} else {
			add("", k.LocalizedString(printer))
		}
	case *kind.Minimum:
		add("", fmt.Sprintf("got %s, want at least %s", rat(k.Got), rat(k.Want)))
	case *kind.Maximum:
		add("", fmt.Sprintf("got %s, want at most %s", rat(k.Got), rat(k.Want)))
	case *kind.ExclusiveMinimum:
		add("", fmt.Sprintf("got %s, want more than %s", rat(k.Got), rat(k.Want)))
	case *kind.ExclusiveMaximum:
		add("", fmt.Sprintf("got %s, want less than %s", rat(k.Got), rat(k.Want)))
	case *kind.MinLength:
		add("", fmt.Sprintf("got %d characters, want at least %d", k.Got, k.Want))
	case *kind.MaxLength:
		add("", fmt.Sprintf("got %d characters, want at most %d", k.Got, k.Want))
	case *kind.MinItems:
		add("", fmt.Sprintf("got %d items, want at least %d", k.Got, k.Want))
	case *kind.MaxItems:
		add("", fmt.Sprintf("got %d items, want at most %d", k.Got, k.Want))
	case *kind.Pattern:
		add("", fmt.Sprintf("%s does not match %s", show(k.Got), k.Want))
	case *kind.PropertyNames:
		// The name itself is wrong: said once, at the key (its causes
		// would point at the document's start).
		*out = append(*out, Problem{Key: k.Property, BadName: true,
			Msg: fmt.Sprintf("%q is not a valid name: use letters, digits, '_' and '-' (not first)", k.Property)})
		return
	case *kind.Schema, *kind.Group, *kind.AllOf, *kind.Reference:
		// containers: the causes say what is wrong
	default:
		add("", k.LocalizedString(printer))
	}
	for _, c := range e.Causes {
		flatten(c, out)
	}
}

// rat formats a number as written: an integer without a fraction.
func rat(r *big.Rat) string {
	if r == nil {
		return "?"
	}
	if r.IsInt() {
		return r.Num().String()
	}
	f, _ := r.Float64()
	return strconv.FormatFloat(f, 'g', -1, 64)
}

func show(v any) string {
	switch v := v.(type) {
	case string:
		return fmt.Sprintf("%q", v)
	case nil:
		return "null"
	}
	return fmt.Sprint(v)
}

func showList(vs []any) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = show(v)
	}
	return strings.Join(parts, ", ")
}

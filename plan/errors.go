package plan

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Error is one problem in a plan, at a position.
type Error struct {
	Pos Pos
	Msg string
}

func (e *Error) Error() string {
	if e.Pos.Line == 0 {
		if e.Pos.File == "" {
			return e.Msg
		}
		return e.Pos.File + ": " + e.Msg
	}
	return e.Pos.String() + ": " + e.Msg
}

// Errors is every problem found in a plan, sorted by file, line and column.
// Load returns it (as error) when the plan is invalid.
type Errors []*Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// collector gathers problems. Problems of batch copies that are the same
// at the same position are merged into one message naming the items.
type collector struct {
	errs   Errors
	groups map[groupKey]*itemGroup
	order  []groupKey
}

type groupKey struct {
	pos      Pos
	template string
	msg      string
}

type itemGroup struct{ items []string }

func (c *collector) add(pos Pos, format string, args ...any) {
	c.errs = append(c.errs, &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)})
}

// addStep records a problem of step s (prefixed with the step's id); for a
// batch copy it is merged with the same problem of the other items.
func (c *collector) addStep(pos Pos, s *Step, template string, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if s.Batch == "" {
		c.add(pos, "step %q: %s", s.ID, msg)
		return
	}
	k := groupKey{pos, template, msg}
	if c.groups == nil {
		c.groups = map[groupKey]*itemGroup{}
	}
	g, ok := c.groups[k]
	if !ok {
		g = &itemGroup{}
		c.groups[k] = g
		c.order = append(c.order, k)
	}
	g.items = append(g.items, s.Item)
}

// result returns the sorted problems, or nil.
func (c *collector) result() Errors {
	for _, k := range c.order {
		items := c.groups[k].items
		if len(items) == 1 {
			c.add(k.pos, "step %q: %s", k.template+"["+items[0]+"]", k.msg)
			continue
		}
		c.add(k.pos, "step %q (items %s): %s", k.template, listItems(items), k.msg)
	}
	c.groups, c.order = nil, nil
	if len(c.errs) == 0 {
		return nil
	}
	out := slices.Clone(c.errs)
	slices.SortStableFunc(out, func(a, b *Error) int {
		return cmp.Or(
			cmp.Compare(a.Pos.File, b.Pos.File),
			cmp.Compare(a.Pos.Line, b.Pos.Line),
			cmp.Compare(a.Pos.Col, b.Pos.Col),
			cmp.Compare(a.Msg, b.Msg),
		)
	})
	return slices.CompactFunc(out, func(a, b *Error) bool { return *a == *b })
}

func listItems(items []string) string {
	const show = 3
	if len(items) <= show+1 {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:show], ", "), len(items)-show)
}

package hosts

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/planrun/planrun/internal/suggest"
)

// maxListed bounds the names missingHint lists when none is close to the
// one asked for.
const maxListed = 8

// MissingHint explains a path that does not exist on h, for an operator
// who mistyped a model id or version: the deepest directory of p that
// exists, what it lacks, and its entry closest to that (or its entries,
// when few). It asks h at most once per missing level, and only after the
// error; "" when nothing useful is found.
func MissingHint(ctx context.Context, h Host, p string) string {
	p = path.Clean(cleanSlash(p))
	missing := path.Base(p)
	for dir := path.Dir(p); ; dir = path.Dir(dir) {
		ents, err := h.ReadDir(ctx, dir)
		switch {
		case err == nil:
			var names []string
			for _, e := range ents {
				if !isPlanrunName(e.Name()) {
					names = append(names, e.Name())
				}
			}
			where, top := "", dir == "." || dir == "/"
			if dir != path.Dir(p) {
				name := dir
				if dir == "." {
					name = "the host's directory"
				}
				where = fmt.Sprintf("%s has no %q", name, missing)
			}
			if c, ok := suggest.Closest(missing, names); ok {
				return " (" + join(where, fmt.Sprintf("did you mean %q?", c)) + ")"
			}
			switch {
			case top: // a whole root's listing says little
			case len(names) == 0:
				return " (" + join(where, dir+" is empty") + ")"
			case len(names) <= maxListed:
				return " (" + join(where, dir+" holds "+strings.Join(names, ", ")) + ")"
			case where != "":
				return " (" + where + ")"
			}
			return ""
		case !errors.Is(err, fs.ErrNotExist) || dir == "." || dir == "/":
			// Not a missing directory, or nothing above to ask.
			return ""
		}
		missing = path.Base(dir)
	}
}

// join joins the non-empty parts of a hint with "; ".
func join(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, "; ")
}

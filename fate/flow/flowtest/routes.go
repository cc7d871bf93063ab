package flowtest

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
)

// rank orders the generations in time.
func (g Generation) rank() int {
	switch g {
	case Gen15:
		return 0
	case Gen17:
		return 1
	}
	return 2
}

// modelRule is one route of FATE Flow's model blueprint (/v1/model):
// its path below /v1/model ("*" matches one segment), its methods, the
// operation the fake answers it with ("" for a route the fake does not
// model) and the first generation that has it (apps/model_app.py of
// F@v1.5.1, FF@v1.7.0 and FF@v1.11.2).
type modelRule struct {
	pattern string
	methods []string
	op      string
	since   Generation
}

var post = []string{"POST"}

// modelRules lists the static rules before the ones with variables, the
// order in which Werkzeug tries them.
var modelRules = []modelRule{
	{"migrate", post, "migrate", Gen15},
	{"deploy", post, "deploy", Gen15},
	{"load", post, "", Gen15},
	{"bind", post, "", Gen15},
	{"transfer", post, "", Gen15},
	{"query", post, "", Gen15},
	{"migrate/do", post, "migrate/do", Gen15},
	{"load/do", post, "", Gen15},
	{"deploy/do", post, "", Gen15},
	{"get/predict/dsl", post, "", Gen15},
	{"get/predict/conf", post, "", Gen15},
	{"homo/convert", post, "", Gen17},
	{"homo/deploy", post, "", Gen17},
	{"archive/packaging", post, "packaging", Gen19},
	{"service/register", post, "", Gen19},
	{"query/detail", post, "", Gen19},
	{"transfer/*/*", post, "", Gen15},
	{"model_tag/*", post, "", Gen15},
	{"tag/*", post, "", Gen15},
	// operate_model(model_operation).
	{"*", []string{"POST", "GET"}, "operate", Gen15},
}

// Route answers.
const (
	routeFound = iota
	routeNotFound
	routeMethodNotAllowed
)

// route matches a request as Werkzeug's URL map does: the first rule
// whose pattern and method match; when some rule's pattern matches but
// none takes the method, 405; else 404. op is the rule's operation, and
// for operate_model the operation named in the path ("import",
// "export", or "operate:<name>" for another name).
func (g Generation) route(path, method string) (op string, answer int, allow []string) {
	rest, ok := strings.CutPrefix(path, "/v1/model/")
	if !ok || rest == "" {
		return "other", routeNotFound, nil
	}
	segs := strings.Split(rest, "/")
	switch method {
	case "HEAD":
		method = "GET" // Flask answers HEAD with every GET rule
	case "OPTIONS":
		// Flask answers OPTIONS itself for every rule.
		for _, r := range modelRules {
			if g.rank() >= r.since.rank() && matchRule(r.pattern, segs) {
				return "unmodelled", routeFound, nil
			}
		}
		return "other", routeNotFound, nil
	}
	for _, r := range modelRules {
		if g.rank() < r.since.rank() || !matchRule(r.pattern, segs) {
			continue
		}
		if !slices.Contains(r.methods, method) {
			for _, m := range r.methods {
				if !slices.Contains(allow, m) {
					allow = append(allow, m)
				}
			}
			continue
		}
		switch {
		case r.op != "operate":
			if r.op == "" {
				return "unmodelled", routeFound, nil
			}
			return r.op, routeFound, nil
		case segs[0] == "import" || segs[0] == "export":
			return segs[0], routeFound, nil
		}
		return "operate:" + segs[0], routeFound, nil
	}
	if len(allow) > 0 {
		return "other", routeMethodNotAllowed, allow
	}
	return "other", routeNotFound, nil
}

func matchRule(pattern string, segs []string) bool {
	ps := strings.Split(pattern, "/")
	if len(ps) != len(segs) {
		return false
	}
	for i, p := range ps {
		if segs[i] == "" || p != "*" && p != segs[i] {
			return false
		}
	}
	return true
}

// operate is operate_model for an operation the fake does not serve as
// import or export: the argument check, then "not supported" for a name
// that is not a ModelOperation (1.5/1.6: store, restore, export, import;
// 1.7+ also load and bind), which 1.5/1.6 test first.
func (s *Server) operate(c *call, name string) {
	valid := []string{"store", "restore", "export", "import"}
	if s.opts.Generation != Gen15 {
		valid = append(valid, "load", "bind")
	}
	unsupported := pyErr{"Exception", "Can not support this operating now: " + name}
	if s.opts.Generation == Gen19 {
		unsupported = pyErr{"Exception", `Not supported model operation: "` + name + `".`}
	}
	if s.opts.Generation == Gen15 && !slices.Contains(valid, name) {
		s.uncaught(c, unsupported)
		return
	}
	if s.requireArgs(c, c.conf(), modelArgs) {
		return
	}
	if !slices.Contains(valid, name) {
		s.uncaught(c, unsupported)
		return
	}
	unmodelled(c)
}

// unmodelled answers a FATE Flow route the fake does not implement, so a
// test that reaches one fails plainly.
func unmodelled(c *call) {
	c.w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	c.w.WriteHeader(http.StatusNotImplemented)
	fmt.Fprintf(c.w, "flowtest does not model %s %s\n", c.r.Method, c.r.URL.Path)
}

// notFound is the answer to a path no rule matches. Before 1.9 it is
// Flask's (Werkzeug 0.15's) HTML page; 1.9+ register
// errorhandler(Exception), which catches the routing NotFound too and
// answers retcode 100 with its repr (Flask 2.0.3, Werkzeug 2).
func (s *Server) notFound(c *call) {
	if s.opts.Generation == Gen19 {
		s.jsonResult(c, 100, "<NotFound '404: Not Found'>", nil, "")
		return
	}
	c.w.Header().Set("Content-Type", "text/html; charset=utf-8")
	c.w.WriteHeader(http.StatusNotFound)
	io.WriteString(c.w, "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 3.2 Final//EN\">\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n"+
		"<p>The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.</p>\n")
}

// methodNotAllowed is notFound's counterpart for a path whose rules take
// other methods.
func (s *Server) methodNotAllowed(c *call, allow []string) {
	if s.opts.Generation == Gen19 {
		s.jsonResult(c, 100, "<MethodNotAllowed '405: Method Not Allowed'>", nil, "")
		return
	}
	if slices.Contains(allow, "GET") {
		allow = append(allow, "HEAD")
	}
	allow = append(allow, "OPTIONS")
	slices.Sort(allow)
	c.w.Header().Set("Allow", strings.Join(allow, ", "))
	c.w.Header().Set("Content-Type", "text/html; charset=utf-8")
	c.w.WriteHeader(http.StatusMethodNotAllowed)
	io.WriteString(c.w, "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 3.2 Final//EN\">\n<title>405 Method Not Allowed</title>\n"+
		"<h1>Method Not Allowed</h1>\n<p>The method is not allowed for the requested URL.</p>\n")
}

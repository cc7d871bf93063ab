package flowtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/planrun/planrun/fate/flow"
)

// Generation is a FATE Flow server generation.
type Generation int

const (
	// Gen19 is FATE Flow 1.9–1.11.
	Gen19 Generation = iota + 1
	// Gen15 is FATE 1.5–1.6 (fate_flow inside FATE): missing arguments
	// are check_config's retcode 100 "required parameters are missing".
	Gen15
	// Gen17 is FATE Flow 1.7–1.8: as Gen15 but for validate_request's
	// retcode 101 "required argument are missing", checked before the
	// handler reads the body, and the runtime conf adapter that adds
	// job_parameters and job_parameters.common when they are missing.
	Gen17
)

func (g Generation) String() string {
	switch g {
	case Gen15:
		return "1.5-1.6"
	case Gen17:
		return "1.7-1.8"
	}
	return "1.9+"
}

// pre19 reports whether g is one of the generations before 1.9, which
// share the model layout and most answers (FATE.md §1, "1.5–1.8").
func (g Generation) pre19() bool { return g == Gen15 || g == Gen17 }

// Fault is a misbehaviour injected into one operation's answers.
type Fault int

const (
	FaultNone    Fault = iota
	FaultHTML          // 502 with an HTML page (a proxy in front of FATE Flow)
	FaultNonJSON       // 200 with a text/plain body
	FaultSlow          // no answer until Options.SlowFor passed or the client gave up
	FaultReset         // read part of the request body, then reset the connection
)

// Options configure a Server.
type Options struct {
	Generation Generation // default Gen19
	// AppKey and Secret, when both set, make the server verify request
	// signatures as FATE Flow's client authentication does.
	AppKey, Secret string
	// TLS serves HTTPS with httptest's self-signed certificate.
	TLS bool
	// SlowFor is how long FaultSlow holds an answer (default 10s).
	SlowFor time.Duration
	// Dir is the FATE Flow root (model_local_cache and temp below it);
	// default a t.TempDir().
	Dir string
}

// Request is one recorded request.
type Request struct {
	Op      string // migrate, migrate/do, import, export, packaging, deploy, other
	Method  string
	Path    string
	Header  http.Header
	JSON    map[string]any    // the JSON body, if it was JSON
	Form    map[string]string // multipart/urlencoded form fields
	File    string            // the `file` part's file name ("" when none)
	FileLen int64
	Answer  int // HTTP status answered (0 for a reset or an unfinished answer)
}

// Server is a fake FATE Flow. Its methods are safe for concurrent use.
type Server struct {
	*httptest.Server
	t    testing.TB
	opts Options
	root string

	mu       sync.Mutex
	reqs     []Request
	faults   map[string]Fault
	failures map[string]string // "role:old_id" → retmsg of a failing /migrate/do
	raises   map[string]bool   // "role:old_id" → the federated call raises
	db       map[string]*dbRow // registered models by "pmid/version"
	// defineMeta marks the models with rows in 1.9+'s
	// t_pipeline_component_meta (their define_meta), by "pmid/version".
	defineMeta map[string]bool
	imported   int
	jobSeq     int
}

// New starts a server; it is closed when the test ends.
func New(t testing.TB, opts Options) *Server {
	t.Helper()
	if opts.Generation == 0 {
		opts.Generation = Gen19
	}
	if opts.SlowFor <= 0 {
		opts.SlowFor = 10 * time.Second
	}
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	s := &Server{t: t, opts: opts, root: opts.Dir, faults: map[string]Fault{},
		failures: map[string]string{}, raises: map[string]bool{}, db: map[string]*dbRow{},
		defineMeta: map[string]bool{}}
	for _, d := range []string{s.CacheDir(), s.TempDir()} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	// Handshake failures from untrusting clients are expected in tests.
	s.Config.ErrorLog = log.New(io.Discard, "", 0)
	if opts.TLS {
		s.StartTLS()
	} else {
		s.Start()
	}
	t.Cleanup(s.Close)
	return s
}

// Generation is the generation the server imitates.
func (s *Server) Generation() Generation { return s.opts.Generation }

// CacheDir is the server's model_local_cache.
func (s *Server) CacheDir() string { return filepath.Join(s.root, "model_local_cache") }

// TempDir is the server's TEMP directory, where migration zips land.
func (s *Server) TempDir() string { return filepath.Join(s.root, "temp") }

// SetFault makes every request of op ("migrate", "import", "export",
// "packaging", "deploy") misbehave as f until set back to FaultNone.
func (s *Server) SetFault(op string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[op] = f
}

// FailParty makes the migration of role:oldID fail at its /migrate/do
// with retcode 100 and msg; the overall answer stays retcode 0. An empty
// msg clears the failure.
func (s *Server) FailParty(role string, oldID int64, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := fmt.Sprintf("%s:%d", role, oldID)
	if msg == "" {
		delete(s.failures, k)
	} else {
		s.failures[k] = msg
	}
}

// RaiseParty makes the federated call to role:oldID raise (the party then
// has no detail and the overall retcode becomes 101 "failed").
func (s *Server) RaiseParty(role string, oldID int64, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.raises[fmt.Sprintf("%s:%d", role, oldID)] = on
}

// Requests returns a copy of every recorded request.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

// Count returns how many requests of op the server received.
func (s *Server) Count(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.reqs {
		if r.Op == op {
			n++
		}
	}
	return n
}

// Imported returns how many imports succeeded.
func (s *Server) Imported() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.imported
}

// call is one request being answered.
type call struct {
	w       http.ResponseWriter
	r       *http.Request
	body    []byte
	json    map[string]any
	form    map[string]string
	file    []byte
	hasFile bool
	// fileName is the `file` part's file name.
	fileName string
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	route, answer, allow := s.opts.Generation.route(r.URL.Path, r.Method)
	op := route
	if strings.HasPrefix(op, "operate:") || op == "unmodelled" {
		op = "other"
	}
	rec := Request{Op: op, Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone()}
	s.mu.Lock()
	fault := s.faults[op]
	s.mu.Unlock()
	idx := s.record(rec)
	setAnswer := func(code int) {
		s.mu.Lock()
		s.reqs[idx].Answer = code
		s.mu.Unlock()
	}
	switch fault {
	case FaultReset:
		// Take part of the body so the upload is under way, then drop the
		// connection without an answer.
		_, _ = io.CopyN(io.Discard, r.Body, 1024)
		resetConn(w)
		return
	case FaultSlow:
		// Take the whole body first so a client that gives up is noticed.
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
			return
		case <-time.After(s.opts.SlowFor):
		}
	case FaultHTML:
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		io.WriteString(w, "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n</body>\r\n</html>\r\n")
		setAnswer(502)
		return
	case FaultNonJSON:
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "fate_flow is restarting, try later\n")
		setAnswer(200)
		return
	}
	c, err := s.read(w, r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		setAnswer(400)
		return
	}
	s.mu.Lock()
	s.reqs[idx].JSON, s.reqs[idx].Form = c.json, c.form
	if c.hasFile {
		s.reqs[idx].File = c.fileName
		s.reqs[idx].FileLen = int64(len(c.file))
	}
	s.mu.Unlock()
	sw := &statusWriter{ResponseWriter: w}
	c.w = sw
	if s.opts.AppKey != "" && s.opts.Secret != "" {
		if code, msg := s.authenticate(c); code != 0 {
			s.jsonResult(c, code, msg, nil, "")
			setAnswer(sw.code)
			return
		}
	}
	switch {
	case answer == routeNotFound:
		s.notFound(c)
	case answer == routeMethodNotAllowed:
		s.methodNotAllowed(c, allow)
	case route == "migrate":
		s.migrate(c)
	case route == "migrate/do":
		s.migrateDoHTTP(c)
	case route == "import":
		s.importModel(c)
	case route == "export":
		s.export(c)
	case route == "packaging":
		s.packaging(c)
	case route == "deploy":
		s.deploy(c)
	case strings.HasPrefix(route, "operate:"):
		s.operate(c, strings.TrimPrefix(route, "operate:"))
	default:
		unmodelled(c)
	}
	setAnswer(sw.code)
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = 200
	}
	return w.ResponseWriter.Write(b)
}

func (s *Server) record(r Request) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs = append(s.reqs, r)
	return len(s.reqs) - 1
}

// read takes the body: JSON whatever the content type (1.9+ parses
// request.json with force=True), or a multipart/urlencoded form with an
// optional `file` part.
func (s *Server) read(w http.ResponseWriter, r *http.Request) (*call, error) {
	c := &call{r: r}
	ct := r.Header.Get("Content-Type")
	if strings.HasPrefix(ct, "multipart/form-data") {
		if err := r.ParseMultipartForm(32 << 20); err != nil {
			return nil, fmt.Errorf("parse multipart body: %w", err)
		}
		c.form = map[string]string{}
		for k, v := range r.MultipartForm.Value {
			c.form[k] = v[0]
		}
		if fhs := r.MultipartForm.File["file"]; len(fhs) > 0 {
			f, err := fhs[0].Open()
			if err != nil {
				return nil, err
			}
			defer f.Close()
			if c.file, err = io.ReadAll(f); err != nil {
				return nil, err
			}
			c.hasFile = true
			c.fileName = fhs[0].Filename
		}
		return c, nil
	}
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	c.body = b
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if len(b) > 0 && dec.Decode(&m) == nil {
		c.json = m
	} else if strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		if err := r.ParseForm(); err == nil {
			c.form = map[string]string{}
			for k, v := range r.PostForm {
				c.form[k] = v[0]
			}
		}
	}
	return c, nil
}

// conf is FATE's `request.json or request.form.to_dict()`.
func (c *call) conf() map[string]any {
	if c.json != nil {
		return c.json
	}
	m := map[string]any{}
	for k, v := range c.form {
		m[k] = v
	}
	return m
}

// authenticate checks the signature headers as FATE Flow's client
// authentication does; a failure is retcode 109 (AUTHENTICATION_ERROR).
func (s *Server) authenticate(c *call) (int, string) {
	h := c.r.Header
	for _, k := range []string{"TIMESTAMP", "NONCE", "APP_KEY", "SIGNATURE"} {
		if h.Get(k) == "" {
			return 109, "requirement headers parameters: ['TIMESTAMP', 'NONCE', 'APP_KEY', 'SIGNATURE']"
		}
	}
	var ms int64
	if _, err := fmt.Sscan(h.Get("TIMESTAMP"), &ms); err != nil {
		return 109, "Invalid TIMESTAMP"
	}
	if d := time.Since(time.UnixMilli(ms)); d > time.Minute || d < -time.Minute {
		return 109, "TIMESTAMP is more than 60 seconds away from the server time"
	}
	if h.Get("APP_KEY") != s.opts.AppKey {
		return 109, "Unknown APP_KEY"
	}
	var body []byte
	if c.json != nil {
		body = c.body
	}
	var form [][2]string
	for k, v := range c.form {
		form = append(form, [2]string{k, v})
	}
	want := flow.Signature(s.opts.Secret, h.Get("TIMESTAMP"), h.Get("NONCE"), h.Get("APP_KEY"),
		flow.PathWithQuery(c.r.URL), body, form)
	if want != h.Get("SIGNATURE") {
		return 109, "signature authentication failed"
	}
	return 0, ""
}

// jsonResult is get_json_result: HTTP 200, None fields dropped.
func (s *Server) jsonResult(c *call, retcode int, retmsg string, data any, jobID string) {
	m := map[string]any{"retcode": retcode, "retmsg": retmsg}
	if data != nil {
		m["data"] = data
	}
	if jobID != "" {
		m["jobId"] = jobID
	}
	writeJSON(c.w, http.StatusOK, m)
}

// errorResponse is error_response: the HTTP status equals the code.
func errorResponse(c *call, code int, msg string) {
	writeJSON(c.w, code, map[string]any{"retmsg": msg, "retcode": code})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

// resetConn drops the connection with a TCP reset.
func resetConn(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		return
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}

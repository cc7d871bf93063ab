package flow

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/planrun/planrun/hosts"
)

// Options configure a Client.
type Options struct {
	// HTTPClient sends the requests (default: a client with no overall
	// timeout; Timeout below bounds each request).
	HTTPClient *http.Client
	// Timeout bounds each request, answer included (default 10m: a
	// migration or an upload of a large model takes a while).
	Timeout time.Duration
	// AppKey and Secret enable request signing. The secret is never
	// logged or put in an error.
	AppKey string
	Secret string
	// Retries is how many more times a safe request is tried after a
	// transport failure (default 2; negative means none).
	Retries int
	// Backoff is the first pause between tries, doubled each time (default 200ms).
	Backoff time.Duration
	// Host names the server in messages (the inventory host name); default
	// the URL's host:port.
	Host string
}

// Client talks to one FATE Flow server. It is safe for concurrent use.
type Client struct {
	base string // scheme://host:port[/prefix] without a trailing /v1
	opts Options
	hc   *http.Client
}

// New returns a client for the FATE Flow at baseURL
// ("http://10.1.0.5:9380"; a trailing "/v1" is accepted).
func New(baseURL string, opts Options) (*Client, error) {
	u, err := hosts.ParseFlowURL(baseURL)
	if err != nil {
		return nil, err
	}
	u.RawQuery, u.Fragment = "", ""
	u.Path = strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), "/v1")
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{}
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Minute
	}
	if opts.Retries == 0 {
		opts.Retries = 2
	} else if opts.Retries < 0 {
		opts.Retries = 0
	}
	if opts.Backoff <= 0 {
		opts.Backoff = 200 * time.Millisecond
	}
	if opts.Host == "" {
		opts.Host = u.Host
	}
	return &Client{base: u.String(), opts: opts, hc: opts.HTTPClient}, nil
}

// Host is the name the client uses for its server in messages.
func (c *Client) Host() string { return c.opts.Host }

// request is one call to the server.
type request struct {
	op, party string
	method    string
	path      string // e.g. "/v1/model/import"
	json      []byte // JSON body, nil for none
	// form and body make a multipart request: form fields (for signing)
	// and a function that returns the whole encoded body, its length and
	// content type.
	form [][2]string
	body func() (io.ReadCloser, int64, string, error)
	safe bool // retry transport failures and 502/503/504
}

// envelope is FATE's answer: {"retcode","retmsg","data","jobId","meta"}.
type envelope struct {
	RetCode *int            `json:"retcode"`
	RetMsg  string          `json:"retmsg"`
	Data    json.RawMessage `json:"data"`
	JobID   string          `json:"jobId"`
	Status  int             `json:"-"`
}

func (c *Client) errorf(r *request, e *Error) *Error {
	e.Host, e.Op, e.Party = c.opts.Host, r.op, r.party
	return e
}

// send performs r, retrying where safe, and returns the answer with its
// body open. Transport failures come back as *Error.
func (c *Client) send(ctx context.Context, r *request) (*http.Response, context.CancelFunc, error) {
	var lastErr *Error
	pause := c.opts.Backoff
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return nil, nil, c.errorf(r, &Error{Err: context.Cause(ctx)})
			case <-time.After(pause):
			}
			pause *= 2
		}
		resp, cancel, err := c.sendOnce(ctx, r)
		if err == nil {
			if r.safe && attempt < c.opts.Retries && retryableStatus(resp.StatusCode) {
				resp.Body.Close()
				cancel()
				lastErr = c.errorf(r, &Error{HTTPStatus: resp.StatusCode, Summary: http.StatusText(resp.StatusCode), Sent: true})
				continue
			}
			return resp, cancel, nil
		}
		lastErr = err
		if attempt >= c.opts.Retries || ctx.Err() != nil {
			return nil, nil, lastErr
		}
		if !r.safe && lastErr.Sent {
			lastErr.NotResent = true
			return nil, nil, lastErr
		}
		if errors.Is(lastErr.Err, errTimeout) || isTLSError(lastErr.Err) {
			return nil, nil, lastErr
		}
	}
}

func retryableStatus(s int) bool { return s == 502 || s == 503 || s == 504 }

var errTimeout = errors.New("no answer in time")

type timeoutError struct{ d time.Duration }

func (e *timeoutError) Error() string   { return fmt.Sprintf("no answer within %s", e.d) }
func (e *timeoutError) Is(t error) bool { return t == errTimeout }

func (c *Client) sendOnce(ctx context.Context, r *request) (*http.Response, context.CancelFunc, *Error) {
	ctx, cancel := context.WithTimeoutCause(ctx, c.opts.Timeout, &timeoutError{c.opts.Timeout})
	var body io.ReadCloser
	var length int64
	ctype := ""
	switch {
	case r.body != nil:
		b, n, ct, err := r.body()
		if err != nil {
			cancel()
			return nil, nil, c.errorf(r, &Error{Err: err})
		}
		body, length, ctype = b, n, ct
	case r.json != nil:
		body, length, ctype = io.NopCloser(bytes.NewReader(r.json)), int64(len(r.json)), "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, r.method, c.base+r.path, body)
	if err != nil {
		cancel()
		if body != nil {
			body.Close()
		}
		return nil, nil, c.errorf(r, &Error{Err: err})
	}
	if body != nil {
		req.ContentLength = length
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("Accept", "application/json")
	if c.opts.AppKey != "" && c.opts.Secret != "" {
		sign(req.Header, c.opts.AppKey, c.opts.Secret, req.URL, r.json, r.form, time.Now())
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		e := &Error{Err: transportCause(ctx, err), Sent: !isDialError(err)}
		cancel()
		return nil, nil, c.errorf(r, e)
	}
	return resp, cancel, nil
}

// transportCause turns the HTTP client's error into the most useful one:
// the timeout cause, or the underlying network error without the URL (the
// Error already names the host).
func transportCause(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		if c := context.Cause(ctx); c != nil && errors.Is(c, errTimeout) {
			return c
		}
		return ctx.Err()
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func isDialError(err error) bool {
	var oe *net.OpError
	return errors.As(err, &oe) && oe.Op == "dial"
}

func isTLSError(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "tls:") || strings.Contains(err.Error(), "x509:"))
}

// maxAnswer bounds a JSON answer read into memory.
const maxAnswer = 8 << 20

// call performs r and decodes FATE's JSON envelope. An answer that is not
// JSON, or an HTTP status other than 200, is an *Error (with the retcode
// and retmsg when the body was FATE's error_response JSON). A 200 answer
// with a non-zero retcode is returned as is: callers decide.
func (c *Client) call(ctx context.Context, r *request) (*envelope, error) {
	resp, cancel, err := c.send(ctx, r)
	if err != nil {
		return nil, err
	}
	defer cancel()
	defer resp.Body.Close()
	raw, rerr := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if rerr != nil {
		return nil, c.errorf(r, &Error{HTTPStatus: resp.StatusCode, Err: transportCause(ctx, rerr), Sent: true})
	}
	return c.decode(r, resp, raw)
}

func (c *Client) decode(r *request, resp *http.Response, raw []byte) (*envelope, error) {
	var env envelope
	if len(raw) > maxAnswer || json.Unmarshal(raw, &env) != nil || env.RetCode == nil {
		return nil, c.errorf(r, &Error{HTTPStatus: resp.StatusCode, Summary: summarize(resp.Header.Get("Content-Type"), raw), Sent: true})
	}
	env.Status = resp.StatusCode
	if resp.StatusCode != http.StatusOK {
		return nil, c.errorf(r, &Error{HTTPStatus: resp.StatusCode, RetCode: *env.RetCode, HasRetCode: true, RetMsg: env.RetMsg, Sent: true})
	}
	return &env, nil
}

// retErr is the error for a 200 answer with a non-zero retcode.
func (c *Client) retErr(r *request, env *envelope) error {
	return c.errorf(r, &Error{HTTPStatus: env.Status, RetCode: *env.RetCode, HasRetCode: true, RetMsg: env.RetMsg, Sent: true})
}

func (c *Client) jsonRequest(op, party, method, path string, body any, safe bool) (*request, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("encode %s request: %w", op, err)
	}
	return &request{op: op, party: party, method: method, path: path, json: b, safe: safe}, nil
}

package flow

import (
	"errors"
	"fmt"
	"strings"
)

// Error is a failed FATE Flow call. It says which host, which operation,
// which party (when the call is about one) and what the server said.
type Error struct {
	Host  string // inventory host name, or the server's host:port
	Op    string // "migrate", "import", "export", "packaging", "deploy"
	Party string // "role:party_id" when the call is about one party
	// HTTPStatus is the answer's status (0 when there was no answer).
	HTTPStatus int
	// RetCode and RetMsg are FATE's retcode/retmsg; HasRetCode is false when
	// the answer carried none (non-JSON, transport failure).
	RetCode    int
	HasRetCode bool
	RetMsg     string
	// Summary describes a non-JSON answer ("HTML page: 502 Bad Gateway").
	Summary string
	// Err is the transport failure (connection refused, TLS, timeout), if any.
	Err error
	// Sent reports whether the request may have reached the server.
	Sent bool
	// NotResent is set when a transport failure was not retried because
	// the request may have reached the server and is not safe to repeat.
	NotResent bool
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("flow ")
	b.WriteString(e.Op)
	if e.Party != "" {
		b.WriteString(" for " + e.Party)
	}
	b.WriteString(" on " + e.Host)
	b.WriteString(": ")
	var parts []string
	if e.Err != nil {
		parts = append(parts, e.Err.Error())
	}
	if e.HTTPStatus != 0 {
		parts = append(parts, fmt.Sprintf("HTTP %d", e.HTTPStatus))
	}
	if e.HasRetCode {
		parts = append(parts, fmt.Sprintf("retcode %d", e.RetCode))
	}
	if e.RetMsg != "" {
		parts = append(parts, fmt.Sprintf("%q", e.RetMsg))
	}
	if e.Summary != "" {
		parts = append(parts, e.Summary)
	}
	if len(parts) == 0 {
		parts = append(parts, "failed")
	}
	b.WriteString(strings.Join(parts, ", "))
	if e.NotResent {
		b.WriteString(" (the request may have reached the server: not sent again)")
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// ErrNotFound is matched (errors.Is) by an answer saying the model does not
// exist: 404 in 1.9+, HTTP 210 "... is not exist." in 1.5–1.8.
var ErrNotFound = errors.New("model not found")

// ErrAlreadyExists is matched by an import refused because the model is
// already there: 409 "Model already exists." (1.9+), "... local cache
// already existed" (1.5–1.8) or FileExistsError (1.9+ cache without a
// database row).
var ErrAlreadyExists = errors.New("model already exists")

// ErrUnsupported is matched when the server does not have the endpoint
// (for example /v1/model/archive/packaging on 1.5–1.8).
var ErrUnsupported = errors.New("endpoint not supported by this server")

func (e *Error) Is(target error) bool {
	switch target {
	case ErrNotFound:
		if e.Op != "export" && e.Op != "deploy" {
			return false
		}
		return e.HTTPStatus == 404 || e.HTTPStatus == 210 ||
			(e.HasRetCode && (e.RetCode == 210 || e.RetCode == 404) && strings.Contains(e.RetMsg, "exist"))
	case ErrAlreadyExists:
		return e.HTTPStatus == 409 ||
			strings.Contains(e.RetMsg, "local cache already existed") ||
			strings.Contains(e.RetMsg, "FileExistsError") ||
			strings.Contains(e.RetMsg, "Model already exists")
	case ErrUnsupported:
		return e.HTTPStatus == 404 && !e.HasRetCode
	}
	return false
}

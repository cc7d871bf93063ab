package convert

import (
	"errors"
	"fmt"
	"strconv"
)

// Causes a conversion can fail with; test with errors.Is.
var (
	// ErrUnmapped: a party id of a known role has no new id in the mapping
	// (FATE: KeyError).
	ErrUnmapped = errors.New("party id is not in the mapping")
	// ErrNotInteger: a party id that must be an integer is not (FATE: ValueError).
	ErrNotInteger = errors.New("party id is not an integer")
	// ErrUnknownRole: a role other than guest, host and arbiter.
	ErrUnknownRole = errors.New("unknown role")
	// ErrBadForm: a party-bearing string is not in the form FATE expects
	// ("role:pid", "(role,pid)", "role_pid_suffix", "mode_pid").
	ErrBadForm = errors.New("malformed party-bearing string")
	// ErrKeyCollision: two map keys would become one after the rewrite.
	ErrKeyCollision = errors.New("rewritten map keys collide")
	// ErrDecode: a buffer does not decode as the message its module uses.
	ErrDecode = errors.New("buffer does not decode")
	// ErrMissingModel: a component with a converter lacks its Param or Meta
	// buffer (FATE: "param or meta is None"), or has several.
	ErrMissingModel = errors.New("param or meta model missing")
)

// Error is a conversion or scan failure in one buffer of a component.
type Error struct {
	Component string // component name, when Options.Component was set
	Module    string // module_name
	Model     string // model (buffer) name, e.g. "FeatureBinningParam"
	Field     string // field path, e.g. "host_results[0].party_id"; empty for a whole buffer
	Value     string // the offending value, when there is one
	Err       error
}

func (e *Error) Error() string {
	s := "convert"
	if e.Component != "" {
		s += " " + e.Component
	}
	s += " (" + e.Module + ")"
	if e.Model != "" {
		s += " model " + e.Model
	}
	if e.Field != "" {
		s += " field " + e.Field
		if e.Value != "" {
			s += " " + strconv.Quote(e.Value)
		}
	}
	return s + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// fieldError is a failure at one field, before the model is known.
type fieldError struct {
	field, value string
	err          error
}

func (e *fieldError) Error() string {
	return fmt.Sprintf("field %s %q: %v", e.field, e.value, e.err)
}

func (e *fieldError) Unwrap() error { return e.err }

// atField wraps err (when not nil) with the field path and value.
func atField(err error, field, value string) error {
	if err == nil {
		return nil
	}
	return &fieldError{field: field, value: value, err: err}
}

// modelError lifts any error into an *Error for one model.
func modelError(module, model string, opt Options, err error) error {
	e := &Error{Component: opt.Component, Module: module, Model: model, Err: err}
	var fe *fieldError
	if errors.As(err, &fe) {
		e.Field, e.Value, e.Err = fe.field, fe.value, fe.err
	}
	return e
}

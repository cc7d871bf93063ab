package runner

import (
	"errors"

	"github.com/planrun/planrun/plan"
	"github.com/planrun/planrun/steps"
)

func defaultResolve(s *plan.Step, reg *steps.Registry, outputs func(string) (steps.Outputs, bool), getenv func(string) (string, bool)) (any, map[string]any, error) {
	return nil, nil, errors.New("no resolver: plan.Resolve is not available")
}

func defaultFingerprint(s *plan.Step, kindVersion int, params map[string]any) string {
	return ""
}

// Package all lists every step kind planrun knows, in one place.
package all

import (
	"github.com/planrun/planrun/steps"
	"github.com/planrun/planrun/steps/collect"
	"github.com/planrun/planrun/steps/exec"
	modelimport "github.com/planrun/planrun/steps/import"
	"github.com/planrun/planrun/steps/migrate"
	"github.com/planrun/planrun/steps/transfer"
	"github.com/planrun/planrun/steps/verify"
)

// Registry returns a registry of every step kind. Add a kind here: one line.
func Registry() *steps.Registry {
	return steps.NewRegistry(
		// kinds: keep one per line
		exec.New(),
		collect.New(),
		migrate.New(),
		modelimport.New(),
		transfer.New(),
		verify.New(),
	)
}

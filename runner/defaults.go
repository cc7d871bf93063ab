package runner

import "github.com/planrun/planrun/plan"

var (
	defaultResolve     ResolveFunc     = plan.Resolve
	defaultFingerprint FingerprintFunc = plan.Fingerprint
)

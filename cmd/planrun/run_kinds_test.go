package main

import "github.com/planrun/planrun/internal/testkinds"

// The test binary (and the planrun it runs as in testscripts) also knows
// the test-only kinds: instant, append, probed_append, fail_until, sleep.
func init() { testKinds = testkinds.All() }

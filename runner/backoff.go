package runner

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/planrun/planrun/plan"
)

// backoff returns the wait before retry number n (1 for the wait after the
// first failed attempt): full jitter, uniform in [0, min(cap, base*2^(n-1))].
func backoff(r plan.Retry, n int) time.Duration {
	base := time.Duration(r.Backoff)
	if base <= 0 {
		return 0
	}
	ceil := time.Duration(r.MaxBackoff)
	if ceil <= 0 {
		ceil = DefaultMaxBackoff
	}
	d := base
	for i := 1; i < n && d < ceil; i++ {
		d *= 2
	}
	d = min(d, ceil)
	return time.Duration(rand.Int64N(int64(d) + 1))
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

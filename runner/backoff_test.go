package runner

import (
	"testing"
	"time"

	"github.com/planrun/planrun/plan"
)

func TestBackoff(t *testing.T) {
	tests := map[string]struct {
		retry plan.Retry
		n     int
		ceil  time.Duration // every wait is in [0, ceil]
	}{
		"first retry":          {plan.Retry{Backoff: plan.Duration(100 * time.Millisecond)}, 1, 100 * time.Millisecond},
		"doubles":              {plan.Retry{Backoff: plan.Duration(100 * time.Millisecond)}, 3, 400 * time.Millisecond},
		"capped":               {plan.Retry{Backoff: plan.Duration(time.Second), MaxBackoff: plan.Duration(3 * time.Second)}, 10, 3 * time.Second},
		"default cap":          {plan.Retry{Backoff: plan.Duration(time.Second)}, 40, DefaultMaxBackoff},
		"no backoff, no waits": {plan.Retry{}, 5, 0},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var hi time.Duration
			for range 2000 {
				d := backoff(tc.retry, tc.n)
				if d < 0 || d > tc.ceil {
					t.Fatalf("wait %s outside [0, %s]", d, tc.ceil)
				}
				hi = max(hi, d)
			}
			// Full jitter spreads waits over the whole range.
			if hi < tc.ceil*3/4 {
				t.Errorf("longest of 2000 waits %s, want close to %s", hi, tc.ceil)
			}
		})
	}
}

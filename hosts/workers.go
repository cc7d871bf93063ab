package hosts

import (
	"context"
	"sync"
	"sync/atomic"
)

// forEach calls fn(ctx, i) for every i in [0, n) on at most parallel
// long-lived goroutines (a goroutine per file would grow a fresh stack
// through the SFTP and SSH layers each time). The first error cancels
// the others' ctx and is returned; an ended ctx stops new calls.
func forEach(ctx context.Context, n, parallel int, fn func(ctx context.Context, i int) error) error {
	if n == 0 {
		return nil
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		next  atomic.Int64
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	for range min(parallel, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(ctx, i); err != nil {
					once.Do(func() { first = err })
					cancel(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return first
	}
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return nil
}

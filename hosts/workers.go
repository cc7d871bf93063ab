package hosts

import (
	"context"
	"path"
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

// spread orders idx (indexes of files in walk order) round robin over
// their directories: files written at the same time then go to different
// directories, whose locks creating a file takes (ext4 was seen spinning
// on them with every worker in one directory).
func spread(files []treeEntry, idx []int) []int {
	var dirs [][]int
	at := map[string]int{}
	for _, i := range idx {
		d := path.Dir(files[i].rel)
		k, ok := at[d]
		if !ok {
			k = len(dirs)
			at[d] = k
			dirs = append(dirs, nil)
		}
		dirs[k] = append(dirs[k], i)
	}
	out := make([]int, 0, len(idx))
	for round := 0; len(out) < len(idx); round++ {
		for _, d := range dirs {
			if round < len(d) {
				out = append(out, d[round])
			}
		}
	}
	return out
}

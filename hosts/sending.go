package hosts

import (
	"context"
	"path"
	"sync/atomic"
)

// send copies files[i] for every i in idx, setting shas[i]. Small files
// to a host that hashes in batches are verified in batches (one remote
// command for many files) and renamed once verified; others one by one.
// In a staging directory files are written under their final names and
// not renamed. Once every file is written, after (when not nil) runs,
// while the last batches are verified.
func (c *copier) send(ctx context.Context, idx []int, shas []string, sent *atomic.Int64, after func(context.Context) error) error {
	if w, ok := c.dst.(shellWarmer); ok && len(idx) > 0 {
		w.warmHashShell(ctx) // in the background, for the verification
	}
	ctx, fail := context.WithCancelCause(ctx)
	defer fail(nil)
	var v *verifier
	if _, ok := c.dst.(batchHasher); ok {
		root, lim := c.dstRoot, tempBatch
		if c.single {
			root = path.Dir(c.dstRoot)
		}
		if c.staged {
			lim = stageBatch
		}
		v = newVerifier(c.dst, root, lim, fail)
	}
	err := forEach(ctx, len(idx), c.opts.Parallel, func(gctx context.Context, k int) error {
		i := idx[k]
		f := c.t.files[i]
		final := c.dstPath(f.rel)
		u := put{src: c.src, srcPath: c.srcPath(f), srcFS: c.srcFS, srcRel: f.srcRel, dst: c.dst, path: final, fi: f.info, p: c.data,
			verify: true, trustCreate: c.staged}
		if !c.staged {
			u.path = TempName(final)
		}
		if v != nil && batchable(c.dst, u.path, f.info) {
			u.verify = false
			sum, err := u.write(gctx)
			if err != nil {
				return err
			}
			shas[i] = sum
			sent.Add(f.info.Size())
			pf := pendingFile{tmp: u.path, final: final, sum: sum, size: f.info.Size()}
			if c.staged {
				pf.final = ""
			}
			v.add(ctx, pf)
			return nil
		}
		var sum string
		var err error
		if c.staged {
			sum, err = u.write(gctx)
		} else {
			sum, err = sendFile(gctx, c.src, u.srcPath, c.dst, final, f.info, c.data)
		}
		if err != nil {
			return err
		}
		shas[i] = sum
		sent.Add(f.info.Size())
		return nil
	})
	afterErr := make(chan error, 1)
	switch {
	case err != nil || after == nil:
		afterErr <- nil
	case v != nil:
		go func() { afterErr <- after(ctx) }()
	default:
		afterErr <- after(ctx)
	}
	if v != nil {
		// A failed batch is the cause of the writers' cancellation (and
		// of after's).
		if verr := v.finish(ctx); verr != nil {
			err = verr
		}
	}
	if aerr := <-afterErr; err == nil {
		err = aerr
	}
	if err == nil && ctx.Err() != nil {
		err = context.Cause(ctx)
	}
	return err
}

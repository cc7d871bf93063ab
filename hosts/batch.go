package hosts

import (
	"context"
	"fmt"
	"io/fs"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"
)

// batchHasher is implemented by hosts that hash many files with one
// request (one remote command instead of a read-back per file).
type batchHasher interface {
	// sha256Many returns the digests of paths, in order; ok=false means
	// the host cannot (the caller then hashes file by file).
	sha256Many(ctx context.Context, paths []string) (sums []string, ok bool, err error)
}

// Batches of files verified by one remote command: at most this many
// files, and this many bytes of paths on the command line.
const (
	batchMaxFiles = 256
	batchMaxArgs  = 48 << 10
	batchMaxBytes = 32 << 20 // bounds what an interruption leaves unrenamed
	// batchMaxSize: files up to this size are verified in batches; larger
	// ones are hashed one by one (the command's cost is then negligible).
	batchMaxSize = sumStreamLimit
)

// batchable reports whether a file written to tmp can be verified in a
// batch: small, readable by its owner once its mode is set, and with a
// name that hash tools print unescaped.
func batchable(dst Host, tmp string, fi fs.FileInfo) bool {
	_, ok := dst.(batchHasher)
	return ok && fi.Size() <= batchMaxSize && fi.Mode().Perm()&0o400 != 0 &&
		!strings.ContainsAny(tmp, "\n\\")
}

// pendingFile is a file written under its temp name with its mode and
// mtime set, waiting for verification and its rename.
type pendingFile struct {
	tmp, final string
	sum        string // sha256 of what was sent
	size       int64
}

// verifier verifies written files in batches, then renames them into
// place. A failure cancels the copy (through fail) and removes the temp
// files it was holding.
type verifier struct {
	dst  Host
	bh   batchHasher
	fail context.CancelCauseFunc
	g    errgroup.Group

	mu    sync.Mutex
	pend  []pendingFile
	args  int
	bytes int64
}

func newVerifier(dst Host, fail context.CancelCauseFunc) *verifier {
	v := &verifier{dst: dst, bh: dst.(batchHasher), fail: fail}
	v.g.SetLimit(2)
	return v
}

// add queues f; a full batch is verified in the background.
func (v *verifier) add(ctx context.Context, f pendingFile) {
	v.mu.Lock()
	v.pend = append(v.pend, f)
	v.args += len(f.tmp) + 3
	v.bytes += f.size
	var batch []pendingFile
	if len(v.pend) >= batchMaxFiles || v.args >= batchMaxArgs || v.bytes >= batchMaxBytes {
		batch = v.take()
	}
	v.mu.Unlock()
	if batch != nil {
		v.g.Go(func() error { return v.flush(ctx, batch) })
	}
}

func (v *verifier) take() []pendingFile {
	b := v.pend
	v.pend, v.args, v.bytes = nil, 0, 0
	return b
}

// finish verifies what is still queued and waits for every batch. Also
// after another file failed: files written in full are kept when they
// verify, so a retry does not send them again.
func (v *verifier) finish(ctx context.Context) error {
	v.mu.Lock()
	batch := v.take()
	v.mu.Unlock()
	if len(batch) > 0 {
		v.g.Go(func() error { return v.flush(ctx, batch) })
	}
	return v.g.Wait()
}

// flush verifies one batch and renames its files into place.
func (v *verifier) flush(ctx context.Context, batch []pendingFile) error {
	renamed := make([]bool, len(batch))
	err := v.verifyRename(ctx, batch, renamed)
	if err != nil {
		for i, f := range batch {
			if !renamed[i] {
				cleanup(ctx, v.dst, f.tmp)
			}
		}
		v.fail(err)
	}
	return err
}

func (v *verifier) verifyRename(ctx context.Context, batch []pendingFile, renamed []bool) error {
	tmps := make([]string, len(batch))
	for i, f := range batch {
		tmps[i] = f.tmp
	}
	got, ok, err := v.bh.sha256Many(ctx, tmps)
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	if !ok { // no hash tool on the host: one by one
		got = make([]string, len(batch))
		var g errgroup.Group
		g.SetLimit(DefaultParallel)
		for i, t := range tmps {
			g.Go(func() (err error) {
				if got[i], err = v.dst.SHA256(ctx, t); err != nil {
					return fmt.Errorf("verify: %w", err)
				}
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			return err
		}
	}
	for i, f := range batch {
		if got[i] != f.sum {
			return fmt.Errorf("verify %s: sha256 %s at the destination, %s sent", f.tmp, got[i], f.sum)
		}
	}
	var g errgroup.Group
	g.SetLimit(4 * DefaultParallel)
	for i, f := range batch {
		g.Go(func() error {
			if err := v.dst.Rename(ctx, f.tmp, f.final); err != nil {
				return fmt.Errorf("rename %s: %w", f.tmp, err)
			}
			renamed[i] = true
			return nil
		})
	}
	return g.Wait()
}

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
	// sha256Many returns the digests of names (relative to dir), in
	// order; ok=false means the host cannot (the caller then hashes file
	// by file).
	sha256Many(ctx context.Context, dir string, names []string) (sums []string, ok bool, err error)
}

// batchLimits bound a batch of files verified by one remote command.
// Each command costs a session and a run of the user's shell (which may
// read a heavy ~/.bashrc: 0.13 s a command was seen), so batches are as
// large as the command line (one argument to the shell, at most 128 KiB
// on Linux) allows, with paths relative to the copy's root.
type batchLimits struct {
	files int
	args  int   // bytes of names on the command line
	bytes int64 // of file content
}

// batchFill is what a batch holds, counted against batchLimits.
type batchFill struct {
	files, args int
	bytes       int64
}

// add counts a file of size bytes named name on the command line, and
// reports whether the batch is now full under lim.
func (b *batchFill) add(name string, size int64, lim batchLimits) bool {
	b.files++
	b.args += len(name) + 3 // quoted, and a space
	b.bytes += size
	return b.files >= lim.files || b.args >= lim.args || b.bytes >= lim.bytes
}

var (
	// Files renamed into place one batch at a time: bytes bound what an
	// interruption leaves unrenamed.
	tempBatch = batchLimits{files: 256, args: 96 << 10, bytes: 32 << 20}
	// Files in a staging directory, renamed all at once at the end.
	stageBatch = batchLimits{files: 1024, args: 96 << 10, bytes: 64 << 20}
)

// verifyParallel is how many files of a batch are hashed at once when the
// host has no hash tool (renames: four times as many).
const verifyParallel = 16

// batchMaxSize: files up to this size are verified in batches; larger
// ones are hashed one by one (the command's cost is then negligible).
const batchMaxSize = sumStreamLimit

// batchable reports whether a file written to tmp can be verified in a
// batch: small, readable by its owner once its mode is set, and with a
// name that hash tools print unescaped.
func batchable(dst Host, tmp string, fi fs.FileInfo) bool {
	_, ok := dst.(batchHasher)
	return ok && fi.Size() <= batchMaxSize && fi.Mode().Perm()&0o400 != 0 && plainSumName(tmp)
}

// plainSumName reports whether hash tools print name as it is: sha256sum
// escapes a name holding a backslash, a newline or (coreutils 9) a
// carriage return, which would read as output it cannot parse.
func plainSumName(name string) bool {
	return !strings.ContainsAny(name, "\n\r\\")
}

// pendingFile is a file written (under its temp name, or under its
// final name in a staging directory) with its mode and mtime set,
// waiting for verification and, when final is set, its rename.
type pendingFile struct {
	tmp, final string
	name       string // tmp relative to the verifier's root
	sum        string // sha256 of what was sent
	size       int64
}

// verifier verifies written files in batches, then renames them into
// place. A failure cancels the copy (through fail); files that did not
// verify are removed, and the temp files of a batch that could not be
// checked at all (files in a staging directory stay: the next copy hashes
// them).
type verifier struct {
	dst  Host
	bh   batchHasher
	root string // the hash commands run here
	lim  batchLimits
	fail context.CancelCauseFunc
	g    errgroup.Group

	mu   sync.Mutex
	pend []pendingFile
	fill batchFill
}

// shellWarmer is implemented by hosts whose hash commands run in a shell
// that takes a while to start (see SSH.warmHashShell).
type shellWarmer interface {
	warmHashShell(ctx context.Context)
	// hashShellLive reports whether a shell has started (idle or busy).
	hashShellLive() bool
}

// readBackMax bounds the bytes of a batch hashed by reading the files
// back (Host.SHA256) while the host's hash shell is still starting:
// reading back a few MiB takes milliseconds, where the shell's start (a
// login shell's ~/.bashrc) can take a few hundred. A small copy is then
// done before its shell is. Larger batches wait for the shell.
const readBackMax = sumStreamLimit

// newVerifier verifies files under root (in batches of lim) on dst.
func newVerifier(dst Host, root string, lim batchLimits, fail context.CancelCauseFunc) *verifier {
	v := &verifier{dst: dst, bh: dst.(batchHasher), root: root, lim: lim, fail: fail}
	v.g.SetLimit(2)
	return v
}

// add queues f; a full batch is verified in the background.
func (v *verifier) add(ctx context.Context, f pendingFile) {
	f.name = f.tmp
	if rel, ok := strings.CutPrefix(f.tmp, v.root+"/"); ok && v.root != "" {
		f.name = rel
	}
	v.mu.Lock()
	v.pend = append(v.pend, f)
	var batch []pendingFile
	if v.fill.add(f.name, f.size, v.lim) {
		batch = v.take()
	}
	v.mu.Unlock()
	if batch != nil {
		v.g.Go(func() error { return v.flush(ctx, batch) })
	}
}

func (v *verifier) take() []pendingFile {
	b := v.pend
	v.pend, v.fill = nil, batchFill{}
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
	settled := make([]bool, len(batch)) // verified (and renamed)
	checked, err := v.verifyRename(ctx, batch, settled)
	if err != nil {
		for i, f := range batch {
			if !settled[i] && (f.final != "" || checked) {
				cleanup(ctx, v.dst, f.tmp)
			}
		}
		v.fail(err)
	}
	return err
}

// readBack reports whether batch is better hashed file by file.
func (v *verifier) readBack(batch []pendingFile) bool {
	var n int64
	for _, f := range batch {
		n += f.size
	}
	return readBackFirst(v.dst, n)
}

// readBackFirst reports whether n bytes of small files on h are better
// hashed by reading them back than by h's hash shell: they are few, and
// the shell has not started yet.
func readBackFirst(h Host, n int64) bool {
	w, ok := h.(shellWarmer)
	return ok && n <= readBackMax && !w.hashShellLive()
}

// verifyRename hashes the batch, renames the files that match (marking
// them settled) and reports the first that does not; checked says the
// digests could be computed at all.
func (v *verifier) verifyRename(ctx context.Context, batch []pendingFile, settled []bool) (checked bool, err error) {
	names := make([]string, len(batch))
	for i, f := range batch {
		names[i] = f.name
	}
	var got []string
	ok := false
	if !v.readBack(batch) {
		if got, ok, err = v.bh.sha256Many(ctx, v.root, names); err != nil {
			return false, fmt.Errorf("verify: %w", err)
		}
	}
	if !ok { // read back, or no hash tool on the host: one by one
		got = make([]string, len(batch))
		var g errgroup.Group
		g.SetLimit(verifyParallel)
		for i, f := range batch {
			g.Go(func() (err error) {
				if got[i], err = v.dst.SHA256(ctx, f.tmp); err != nil {
					return fmt.Errorf("verify: %w", err)
				}
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			return false, err
		}
	}
	var bad error
	var g errgroup.Group
	g.SetLimit(4 * verifyParallel)
	for i, f := range batch {
		if got[i] != f.sum {
			if bad == nil {
				bad = fmt.Errorf("verify %s: sha256 %s at the destination, %s sent", f.tmp, got[i], f.sum)
			}
			continue
		}
		if f.final == "" {
			settled[i] = true
			continue
		}
		g.Go(func() error {
			if err := v.dst.Rename(ctx, f.tmp, f.final); err != nil {
				return fmt.Errorf("rename %s: %w", f.tmp, err)
			}
			settled[i] = true
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return true, err
	}
	return true, bad
}

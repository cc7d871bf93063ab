package hosts

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
)

// TreeSums hashes every file of the tree at root on h, where it lies, and
// returns relative path → sha256, as Copy would list the tree (links
// inside it followed, planrun's own temporary and record files left out).
// On a host that hashes many files with one command (SSH), small files go
// a batch at a time; the rest, and every file on a host without a hash
// tool, one by one (as are a few MiB of small files on a host whose
// hash shell has not started yet: see readBackFirst). ManifestDigest of
// the result is the tree's digest as Copy reports it.
func TreeSums(ctx context.Context, h Host, root string) (map[string]string, error) {
	t, err := walkTree(ctx, h, root, nil)
	if err != nil {
		return nil, err
	}
	return sumEntries(ctx, h, root, t.files)
}

// FileSums hashes the files names (slash-separated, relative to root) on
// h, where they lie, as TreeSums does, without walking the rest of the
// tree: relative path → sha256 of each name that is a regular file. A
// name that is missing, that is a directory, a link (even to the same
// bytes: not what was installed) or a special file, or that does not stay
// under root is left out.
func FileSums(ctx context.Context, h Host, root string, names []string) (map[string]string, error) {
	ents := make([]treeEntry, len(names))
	err := forEach(ctx, len(names), verifyParallel, func(ctx context.Context, k int) error {
		n := names[k]
		if path.IsAbs(n) || path.Clean(n) != n || leavesRoot(n) { // "" cleans to "."
			return nil
		}
		fi, err := lstat(ctx, h, path.Join(root, n))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil
		case err != nil:
			return err
		case fi.Mode().IsRegular():
			ents[k] = treeEntry{rel: n, srcRel: n, info: fi}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	files := slices.DeleteFunc(ents, func(e treeEntry) bool { return e.info == nil })
	return sumEntries(ctx, h, root, files)
}

// sumEntries hashes files (entries under root) on h: small ones a batch
// at a time where h can, the others one by one.
func sumEntries(ctx context.Context, h Host, root string, files []treeEntry) (map[string]string, error) {
	sums := make([]string, len(files))
	var batched int64 // bytes
	for _, f := range files {
		if f.info.Size() <= batchMaxSize {
			batched += f.info.Size()
		}
	}
	if bh, ok := h.(batchHasher); ok && !readBackFirst(h, batched) {
		batches := sumBatches(files, stageBatch)
		err := forEach(ctx, len(batches), 4, func(ctx context.Context, k int) error {
			b := batches[k]
			names := make([]string, len(b))
			for j, i := range b {
				names[j] = files[i].srcRel
			}
			got, ok, err := bh.sha256Many(ctx, root, names)
			if err != nil || !ok { // !ok: no tool; one by one below
				return err
			}
			for j, i := range b {
				sums[i] = got[j]
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	var rest []int
	for i, s := range sums {
		if s == "" {
			rest = append(rest, i)
		}
	}
	err := forEach(ctx, len(rest), verifyParallel, func(ctx context.Context, k int) error {
		i := rest[k]
		s, err := h.SHA256(ctx, path.Join(root, files[i].srcRel))
		if err != nil {
			return fmt.Errorf("sha256 %s: %w", path.Join(root, files[i].srcRel), err)
		}
		sums[i] = s
		return nil
	})
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(files))
	for i, f := range files {
		m[f.rel] = sums[i]
	}
	return m, nil
}

// sumBatches groups the small files that hash tools name plainly into
// batches within lim (counted as Copy's verification counts them); the
// others are in none.
func sumBatches(files []treeEntry, lim batchLimits) [][]int {
	var out [][]int
	var cur []int
	var fill batchFill
	for i, f := range files {
		if f.info.Size() > batchMaxSize || !plainSumName(f.srcRel) {
			continue
		}
		cur = append(cur, i)
		if fill.add(f.srcRel, f.info.Size(), lim) {
			out, cur, fill = append(out, cur), nil, batchFill{}
		}
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

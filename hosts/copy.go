package hosts

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync/atomic"

	"golang.org/x/sync/errgroup"
)

// Progress receives byte progress from a copy. steps.Progress satisfies it.
type Progress interface {
	SetTotal(n int64)
	Add(n int64)
}

type nopProgress struct{}

func (nopProgress) SetTotal(int64) {}
func (nopProgress) Add(int64)      {}

// CopyOptions tune Copy.
type CopyOptions struct {
	// Parallel is how many files are copied at once (default 8).
	Parallel int
	// Exclude lists path.Match globs; a file or directory is left out when
	// a glob matches its slash-separated path relative to the tree root or
	// its base name.
	Exclude []string
	// Progress receives bytes moved (skipped files count as moved).
	Progress Progress
	// CheckOnly compares without writing anything: the result's Skipped
	// equals Files exactly when the destination already matches.
	CheckOnly bool
}

// CopyResult describes a finished copy.
type CopyResult struct {
	// Path is the destination path on the destination host (for a "dir/"
	// destination, the entry created inside it).
	Path  string
	Bytes int64 // total size of the files at the destination
	Sent  int64 // bytes actually sent (identical files are not re-sent)
	Files int   // files in the copy
	// Skipped counts files already identical at the destination.
	Skipped int
	// SHA256 is the file's digest, or for a tree the digest of its manifest:
	// the sorted lines "relpath\tsha256\n" of every file.
	SHA256 string
}

// Copy copies a file or a directory tree from src to dst, between any two
// hosts (data between two remote hosts streams through this process).
//
// A dstPath ending in "/" means "into that directory" (the source's base
// name is appended); otherwise dstPath is the copy's own path. Every file
// is written under a temporary name (".<name>.planrun-tmp") in its final
// directory, its sha256 is checked at the destination against the digest
// computed while reading the source, then it gets the source's mode and
// mtime and is renamed into place: no partial file ever appears under a
// final name. Files already present with the same size and sha256 are not
// sent again, so an interrupted copy resumes where it stopped. Symbolic
// links inside a tree are followed when they point at a file inside the
// tree; any other link is refused.
func Copy(ctx context.Context, src Host, srcPath string, dst Host, dstPath string, opts CopyOptions) (CopyResult, error) {
	if opts.Parallel <= 0 {
		opts.Parallel = 8
	}
	if opts.Progress == nil {
		opts.Progress = nopProgress{}
	}
	for _, g := range opts.Exclude {
		if _, err := path.Match(g, ""); err != nil {
			return CopyResult{}, fmt.Errorf("exclude pattern %q: %w", g, err)
		}
	}
	fail := func(err error) (CopyResult, error) {
		return CopyResult{}, fmt.Errorf("copy %s:%s to %s:%s: %w", src.Name(), srcPath, dst.Name(), dstPath, err)
	}
	fi, err := src.Stat(ctx, srcPath)
	if err != nil {
		return fail(err)
	}
	target := dstPath
	if strings.HasSuffix(dstPath, "/") || dstPath == "" {
		target = path.Join(dstPath, path.Base(cleanSlash(srcPath)))
	}
	target = path.Clean(target)
	res := CopyResult{Path: target}
	if !fi.IsDir() {
		if !fi.Mode().IsRegular() {
			return fail(fmt.Errorf("%s is not a regular file or a directory", srcPath))
		}
		if di, err := dst.Stat(ctx, target); err == nil && di.IsDir() {
			return fail(fmt.Errorf("destination %s is a directory; end it with / to copy into it", target))
		}
		if !opts.CheckOnly {
			if err := dst.MkdirAll(ctx, path.Dir(target), 0o755); err != nil {
				return fail(err)
			}
		}
		opts.Progress.SetTotal(fi.Size())
		fr, err := copyFile(ctx, src, srcPath, dst, target, fi, opts)
		if err != nil {
			return fail(err)
		}
		res.Bytes, res.Files, res.SHA256 = fi.Size(), 1, fr.sha
		if fr.skipped {
			res.Skipped = 1
		} else {
			res.Sent = fi.Size()
		}
		return res, nil
	}
	t, err := walkTree(ctx, src, srcPath, opts.Exclude)
	if err != nil {
		return fail(err)
	}
	if di, err := dst.Stat(ctx, target); err == nil && !di.IsDir() {
		return fail(fmt.Errorf("destination %s exists and is not a directory", target))
	}
	if !opts.CheckOnly {
		for _, d := range t.dirs {
			if err := dst.MkdirAll(ctx, path.Join(target, d.rel), 0o755); err != nil {
				return fail(err)
			}
		}
	}
	var total int64
	for _, f := range t.files {
		total += f.info.Size()
	}
	opts.Progress.SetTotal(total)
	sums := make([]string, len(t.files))
	var sent atomic.Int64
	var skipped atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(opts.Parallel)
	for i, f := range t.files {
		g.Go(func() error {
			fr, err := copyFile(gctx, src, path.Join(srcPath, f.srcRel), dst, path.Join(target, f.rel), f.info, opts)
			if err != nil {
				return err
			}
			sums[i] = fr.sha
			if fr.skipped {
				skipped.Add(1)
			} else {
				sent.Add(f.info.Size())
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%w)", err, context.Cause(ctx))
		}
		return fail(err)
	}
	if !opts.CheckOnly {
		if err := applyDirAttrs(ctx, dst, target, t.dirs); err != nil {
			return fail(err)
		}
	}
	res.Bytes, res.Files, res.Sent, res.Skipped = total, len(t.files), sent.Load(), int(skipped.Load())
	res.SHA256 = manifestDigest(t.files, sums)
	return res, nil
}

// applyDirAttrs gives the destination directories their source modes and
// mtimes, deepest first (writing into a directory changes its mtime).
func applyDirAttrs(ctx context.Context, dst Host, target string, dirs []treeEntry) error {
	for i := len(dirs) - 1; i >= 0; i-- {
		d := dirs[i]
		p := path.Join(target, d.rel)
		if err := dst.Chmod(ctx, p, d.info.Mode().Perm()); err != nil {
			return err
		}
		if err := dst.Chtimes(ctx, p, d.info.ModTime(), d.info.ModTime()); err != nil {
			return err
		}
	}
	return nil
}

// manifestDigest is the sha256 of the sorted "relpath\tsha256\n" lines.
func manifestDigest(files []treeEntry, sums []string) string {
	lines := make([]string, len(files))
	for i, f := range files {
		lines[i] = f.rel + "\t" + sums[i] + "\n"
	}
	sort.Strings(lines)
	h := sha256.New()
	for _, l := range lines {
		h.Write([]byte(l))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// ManifestDigest returns the tree digest Copy reports for files given as
// relative path → sha256.
func ManifestDigest(sums map[string]string) string {
	files := make([]treeEntry, 0, len(sums))
	s := make([]string, 0, len(sums))
	for rel, sum := range sums {
		files = append(files, treeEntry{rel: rel})
		s = append(s, sum)
	}
	return manifestDigest(files, s)
}

func cleanSlash(p string) string {
	for len(p) > 1 && strings.HasSuffix(p, "/") {
		p = p[:len(p)-1]
	}
	return p
}

// treeEntry is one file or directory of a source tree.
type treeEntry struct {
	rel    string // path relative to the tree root, slash-separated
	srcRel string // where to read it (differs for followed symlinks)
	info   fs.FileInfo
}

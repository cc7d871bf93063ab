package hosts

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"
)

// A staged copy writes a new tree into TempName(final), a sibling of its
// destination, and renames it onto the destination once every file is
// verified (see Copy).

// openStage makes c write into the staging directory beside its
// destination and lists what an interrupted copy left there.
func (c *copier) openStage(ctx context.Context) error {
	c.staged, c.dstRoot = true, TempName(c.final)
	fi, err := lstat(ctx, c.dst, c.dstRoot)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case !fi.IsDir(): // a leftover temp file (or link): never written through
		if err := c.dst.Remove(ctx, c.dstRoot); err != nil {
			return fmt.Errorf("remove %s: %w", c.dstRoot, err)
		}
		return nil
	}
	return c.listStage(ctx)
}

func lstat(ctx context.Context, h Host, p string) (fs.FileInfo, error) {
	if l, ok := h.(Linker); ok {
		return l.Lstat(ctx, p)
	}
	return h.Stat(ctx, p)
}

// depthLevels groups directories by depth, the root's level first.
func depthLevels(dirs []treeEntry) [][]treeEntry {
	var levels [][]treeEntry
	for _, d := range dirs {
		n := 0
		if d.rel != "" {
			n = strings.Count(d.rel, "/") + 1
		}
		for len(levels) <= n {
			levels = append(levels, nil)
		}
		levels[n] = append(levels[n], d)
	}
	return levels
}

// listStage lists the staging directory level by level, reading only the
// directories their parent's listing shows to be directories.
func (c *copier) listStage(ctx context.Context) error {
	c.haveDirs[""] = true
	var mu sync.Mutex
	for _, level := range depthLevels(c.t.dirs) {
		var there []treeEntry // shown to be directories by their parent's listing
		for _, d := range level {
			if c.haveDirs[d.rel] {
				there = append(there, d)
			}
		}
		err := forEach(ctx, len(there), c.opts.Parallel, func(ctx context.Context, i int) error {
			d := there[i]
			ents, err := c.dst.ReadDir(ctx, c.dstPath(d.rel))
			if err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			for _, e := range ents {
				r := path.Join(d.rel, e.Name())
				c.have[r] = e
				if e.IsDir() {
					c.haveDirs[r] = true
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// makeStageDirs removes from the staging directory whatever the source
// does not have (so that it is never carried along) and creates the
// directories still missing, a level at a time.
func (c *copier) makeStageDirs(ctx context.Context) error {
	if err := c.pruneStage(ctx); err != nil {
		return err
	}
	// The staging directory is private until the copy is complete: what
	// is inside it is out of reach meanwhile, whatever its mode, and
	// after an interruption too.
	if c.haveDirs[""] {
		if err := c.dst.Chmod(ctx, c.dstRoot, 0o700); err != nil {
			return err
		}
	} else {
		if err := c.dst.MkdirAll(ctx, path.Dir(c.dstRoot), 0o755); err != nil {
			return err
		}
		if err := mkdir(ctx, c.dst, c.dstRoot, true); err != nil {
			return err
		}
	}
	for _, level := range depthLevels(c.t.dirs)[1:] {
		err := forEach(ctx, len(level), c.opts.Parallel, func(ctx context.Context, i int) error {
			if d := level[i]; !c.haveDirs[d.rel] {
				return mkdir(ctx, c.dst, c.dstPath(d.rel), false)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// pruneStage removes the staged entries that are not the source's: files
// and directories it does not have, or has with another type.
func (c *copier) pruneStage(ctx context.Context) error {
	kind := map[string]bool{} // rel → is a directory
	for _, d := range c.t.dirs {
		kind[d.rel] = true
	}
	for _, f := range c.t.files {
		kind[f.rel] = false
	}
	var odd []string
	for rel, fi := range c.have {
		isDir, ok := kind[rel]
		if !ok || isDir != fi.IsDir() || !isDir && !fi.Mode().IsRegular() {
			odd = append(odd, rel)
		}
	}
	sort.Strings(odd) // a directory before what is inside it
	var extra []string
	dirs := map[string]bool{}
	for _, rel := range odd {
		if !under(rel, extra) {
			extra = append(extra, rel)
			dirs[rel] = c.have[rel].IsDir()
		}
		delete(c.have, rel)
	}
	return forEach(ctx, len(extra), c.opts.Parallel, func(ctx context.Context, i int) error {
		p := c.dstPath(extra[i])
		var err error
		if dirs[extra[i]] {
			err = c.dst.RemoveAll(ctx, p)
		} else {
			err = c.dst.Remove(ctx, p)
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove %s: %w", p, err)
		}
		return nil
	})
}

// under reports whether rel is inside one of dirs.
func under(rel string, dirs []string) bool {
	for _, d := range dirs {
		if strings.HasPrefix(rel, d+"/") {
			return true
		}
	}
	return false
}

// checkAttrs lists the staged tree once more and fixes any file whose
// mode or mtime is not the source's (a server's umask, a file that was
// there before), so that the tree is right before it appears.
func (c *copier) checkAttrs(ctx context.Context) error {
	want := make(map[string]treeEntry, len(c.t.files))
	for _, f := range c.t.files {
		want[f.rel] = f
	}
	return forEach(ctx, len(c.t.dirs), c.opts.Parallel, func(ctx context.Context, i int) error {
		d := c.t.dirs[i]
		ents, err := c.dst.ReadDir(ctx, c.dstPath(d.rel))
		if err != nil {
			return err
		}
		for _, e := range ents {
			f, ok := want[path.Join(d.rel, e.Name())]
			if !ok || e.IsDir() {
				continue
			}
			if e.Size() != f.info.Size() {
				return fmt.Errorf("verify %s: %d bytes at the destination, %d sent", c.dstPath(f.rel), e.Size(), f.info.Size())
			}
			if err := fixAttrs(ctx, c.dst, c.dstPath(f.rel), e, f.info); err != nil {
				return err
			}
		}
		return nil
	})
}

// removeStaleStage removes a staging directory left beside a destination
// that exists (an interrupted staged copy whose place was taken since).
// It is best effort: a leftover never affects a copy.
func (c *copier) removeStaleStage(ctx context.Context) {
	p := TempName(c.final)
	if fi, err := lstat(ctx, c.dst, p); err == nil && fi.IsDir() {
		_ = c.dst.RemoveAll(ctx, p)
	}
}

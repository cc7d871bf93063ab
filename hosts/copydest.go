package hosts

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sync"
)

// What an existing destination already holds, as Copy finds it.

// listDest reads every destination directory once (instead of a stat per
// file); a directory that does not exist has nothing. One that cannot be
// read because it is something else there is left to typeClash.
func (c *copier) listDest(ctx context.Context) error {
	var mu sync.Mutex
	failed := map[string]error{}
	err := forEach(ctx, len(c.t.dirs), c.opts.Parallel, func(ctx context.Context, i int) error {
		d := c.t.dirs[i]
		ents, err := c.dst.ReadDir(ctx, c.dstPath(d.rel))
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			if d.rel == "" {
				return err
			}
			failed[d.rel] = err // its parent's listing says what it is
			return nil
		}
		c.haveDirs[d.rel] = true
		for _, e := range ents {
			c.have[path.Join(d.rel, e.Name())] = e
		}
		return nil
	})
	if err != nil {
		return err
	}
	// A directory is there only when its parent's listing shows one: a
	// link to a directory (which ReadDir listed through) is an entry in
	// the way (typeClash), never written through.
	for rel := range c.haveDirs {
		if e, ok := c.have[rel]; ok && !e.IsDir() {
			delete(c.haveDirs, rel)
		}
	}
	for rel, err := range failed {
		if e, ok := c.have[rel]; !ok || e.IsDir() {
			return err
		}
	}
	return nil
}

// typeClash describes the first entry of an existing destination that is
// a directory where the source has a file, or something else (a file, a
// link, even to a directory) where it has a directory ("" if none): Copy
// does not replace either.
func (c *copier) typeClash() string {
	for _, d := range c.t.dirs {
		if e, ok := c.have[d.rel]; ok && !c.haveDirs[d.rel] {
			return fmt.Sprintf("%s on %s is a %s, where the source has a directory", c.dstPath(d.rel), c.dst.Name(), typeName(e))
		}
	}
	for _, f := range c.t.files {
		if e, ok := c.have[f.rel]; ok && e.IsDir() {
			return fmt.Sprintf("%s on %s is a directory, where the source has a file", c.dstPath(f.rel), c.dst.Name())
		}
	}
	return ""
}

func typeName(fi fs.FileInfo) string {
	switch t := fi.Mode().Type(); {
	case t == 0:
		return "file"
	case t&fs.ModeSymlink != 0:
		return "symbolic link"
	default:
		return t.String() + " (special file)"
	}
}

// dirsThere reports whether the destination has every directory of the
// source tree (listDest found them), for a tree; a file has none.
func (c *copier) dirsThere() bool {
	if c.single {
		return true
	}
	for _, d := range c.t.dirs {
		if !c.haveDirs[d.rel] {
			return false
		}
	}
	return true
}

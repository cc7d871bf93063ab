package hosts

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"

	"github.com/pkg/sftp"
)

// Directory modes during a copy: no directory of the destination is ever
// wider, for group and others, than the source's (a private tree must not
// be readable while it is copied, nor after an interruption). Directories
// are made private (0700) and get the source's mode once every file is in
// place; a staging directory is private until then, so what is inside it
// may be made with the host's default mode; directories found in an
// existing destination are narrowed first where they are wider.

// dirMode is the mode a copied directory gets: the source's permission
// bits and sticky bit (setuid and setgid are dropped, as for files).
func dirMode(fi fs.FileInfo) fs.FileMode { return fi.Mode() & (fs.ModePerm | fs.ModeSticky) }

// dirMaker is implemented by hosts that create one directory with one
// request (MkdirAll checks every parent first).
type dirMaker interface {
	mkdir(ctx context.Context, p string, private bool) error
}

// mkdir creates directory p, whose parent exists: private (0700) when
// private is set, else with at most the host's default mode, which only
// does inside a private directory.
func mkdir(ctx context.Context, h Host, p string, private bool) error {
	if m, ok := h.(dirMaker); ok {
		return m.mkdir(ctx, p, private)
	}
	if err := h.MkdirAll(ctx, p, 0o700); err != nil || !private {
		return err
	}
	return h.Chmod(ctx, p, 0o700)
}

func (l *Local) mkdir(ctx context.Context, p string, private bool) error {
	if err := ctx.Err(); err != nil {
		return context.Cause(ctx)
	}
	return os.Mkdir(l.Resolve(p), 0o700) // private either way: it costs nothing
}

// mkdir over SFTP cannot give a mode (pkg/sftp sends none, so the server
// uses 0777 less its umask): a private directory is narrowed right after.
func (h *SSH) mkdir(ctx context.Context, p string, private bool) error {
	return h.fsOp(ctx, "mkdir", p, func(c *sftp.Client, rp string) error {
		if err := c.Mkdir(rp); err != nil || !private {
			return err
		}
		return c.Chmod(rp, 0o700)
	})
}

// narrowDirs takes away from the destination directories that are there
// the group and other bits the source's do not have, before anything is
// written into them (applyDirAttrs gives the source's mode at the end).
func (c *copier) narrowDirs(ctx context.Context) error {
	var todo []int
	modes := make([]fs.FileMode, len(c.t.dirs))
	for i, d := range c.t.dirs {
		have := c.have[d.rel]
		if d.rel == "" {
			have = c.rootInfo
		}
		if !c.haveDirs[d.rel] || have == nil {
			continue
		}
		cur := have.Mode() & (fs.ModePerm | fs.ModeSticky | fs.ModeSetgid | fs.ModeSetuid)
		if extra := cur & 0o077 &^ d.info.Mode().Perm(); extra != 0 {
			modes[i] = cur &^ extra
			todo = append(todo, i)
		}
	}
	return forEach(ctx, len(todo), c.opts.Parallel, func(ctx context.Context, k int) error {
		i := todo[k]
		return c.dst.Chmod(ctx, c.dstPath(c.t.dirs[i].rel), modes[i])
	})
}

// applyDirAttrs gives the destination directories their source modes and
// mtimes. Once every file is in place nothing changes a directory's
// entries any more, and setting a directory's attributes does not touch
// its parent's mtime, so all directories are done at once, except the
// root (dirs[0]), done last: until then it keeps the others out, whatever
// their modes meanwhile (a staging directory's are the host's default).
// A host that drops a sticky bit (a server that ignores it) gets the
// directory without write access for group and others instead: without
// the sticky bit, anyone who can write a directory can remove or rename
// the others' entries in it.
func applyDirAttrs(ctx context.Context, dst Host, target string, dirs []treeEntry, parallel int) error {
	apply := func(ctx context.Context, d treeEntry) error {
		p := path.Join(target, d.rel)
		mode := dirMode(d.info)
		if err := dst.Chmod(ctx, p, mode); err != nil {
			return err
		}
		if mode&fs.ModeSticky != 0 {
			fi, err := dst.Stat(ctx, p)
			if err != nil {
				return err
			}
			if fi.Mode()&fs.ModeSticky == 0 {
				if err := dst.Chmod(ctx, p, mode.Perm()&^0o022); err != nil {
					return fmt.Errorf("%s keeps no sticky bit: %w", p, err)
				}
			}
		}
		return dst.Chtimes(ctx, p, d.info.ModTime(), d.info.ModTime())
	}
	if len(dirs) == 0 {
		return nil
	}
	err := forEach(ctx, len(dirs)-1, parallel, func(ctx context.Context, i int) error {
		return apply(ctx, dirs[i+1])
	})
	if err != nil {
		return err
	}
	return apply(ctx, dirs[0])
}

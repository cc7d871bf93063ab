package hosts

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// Linker is implemented by hosts that can read symbolic links. Copy uses
// it to decide whether a link inside a tree stays inside the tree.
type Linker interface {
	Lstat(ctx context.Context, path string) (fs.FileInfo, error)
	Readlink(ctx context.Context, path string) (string, error)
}

type tree struct {
	dirs  []treeEntry // parents before children, the root ("") first
	files []treeEntry
}

// walkTree lists every directory and file under root on h, skipping
// excluded entries, following links that stay inside the tree.
func walkTree(ctx context.Context, h Host, root string, exclude []string) (*tree, error) {
	ri, err := h.Stat(ctx, root)
	if err != nil {
		return nil, err
	}
	t := &tree{dirs: []treeEntry{{rel: "", srcRel: "", info: ri}}}
	var walk func(rel string) error
	walk = func(rel string) error {
		ents, err := h.ReadDir(ctx, path.Join(root, rel))
		if err != nil {
			return err
		}
		for _, fi := range ents {
			r := path.Join(rel, fi.Name())
			if excluded(r, exclude) || isPlanrunName(fi.Name()) {
				continue
			}
			e := treeEntry{rel: r, srcRel: r, info: fi}
			if fi.Mode()&fs.ModeSymlink != 0 {
				if e, err = followLink(ctx, h, root, r); err != nil {
					return err
				}
			}
			switch {
			case e.info.IsDir():
				t.dirs = append(t.dirs, e)
				if err := walk(r); err != nil {
					return err
				}
			case e.info.Mode().IsRegular():
				t.files = append(t.files, e)
			default:
				return fmt.Errorf("%s: unsupported file type %s", path.Join(root, r), e.info.Mode().Type())
			}
		}
		return nil
	}
	if err := walk(""); err != nil {
		return nil, err
	}
	return t, nil
}

// leavesRoot reports whether the clean relative path rel climbs out of
// the directory it is relative to.
func leavesRoot(rel string) bool { return rel == ".." || strings.HasPrefix(rel, "../") }

// followLink resolves the symlink at rel: it must point (lexically, and
// through further links) at a regular file inside the tree.
func followLink(ctx context.Context, h Host, root, rel string) (treeEntry, error) {
	lk, ok := h.(Linker)
	if !ok {
		return treeEntry{}, fmt.Errorf("%s: symbolic link on a host that cannot read links", path.Join(root, rel))
	}
	cur := rel
	for range 40 {
		target, err := lk.Readlink(ctx, path.Join(root, cur))
		if err != nil {
			return treeEntry{}, err
		}
		if path.IsAbs(target) {
			return treeEntry{}, fmt.Errorf("symlink %s points outside the tree (%s)", path.Join(root, rel), target)
		}
		next := path.Join(path.Dir(cur), target)
		if leavesRoot(next) {
			return treeEntry{}, fmt.Errorf("symlink %s points outside the tree (%s)", path.Join(root, rel), target)
		}
		fi, err := lk.Lstat(ctx, path.Join(root, next))
		if err != nil {
			return treeEntry{}, fmt.Errorf("symlink %s: %w", path.Join(root, rel), err)
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			cur = next
			continue
		}
		if !fi.Mode().IsRegular() {
			return treeEntry{}, fmt.Errorf("symlink %s points at %s, not a regular file", path.Join(root, rel), next)
		}
		return treeEntry{rel: rel, srcRel: next, info: fi}, nil
	}
	return treeEntry{}, fmt.Errorf("symlink %s: too many levels of links", path.Join(root, rel))
}

func excluded(rel string, globs []string) bool {
	base := path.Base(rel)
	for _, g := range globs {
		if ok, _ := path.Match(g, rel); ok {
			return true
		}
		if ok, _ := path.Match(g, base); ok {
			return true
		}
	}
	return false
}

// treeEntry is one file or directory of a source tree.
type treeEntry struct {
	rel    string // path relative to the tree root, slash-separated
	srcRel string // where to read it (differs for followed symlinks)
	info   fs.FileInfo
}

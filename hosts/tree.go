package hosts

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"syscall"
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

// maxLinks bounds the links followed to resolve one (as the kernel's 40).
const maxLinks = 40

// followLink resolves the symlink at rel, which must lead to a regular
// file inside the tree. It is judged by where it physically leads, not
// by its text: the target is resolved a component at a time from the
// link's directory, as the host would, and every link met on the way
// (its own target's components, and theirs) is read and must stay inside
// the tree too. The walk passes over some entries without looking at
// them (planrun's own names, excluded ones), so a link to a directory
// outside may sit in the tree unseen; a target like "../skipped/secret"
// that stays inside on paper would lead through it.
func followLink(ctx context.Context, h Host, root, rel string) (treeEntry, error) {
	full := path.Join(root, rel)
	lk, ok := h.(Linker)
	if !ok {
		return treeEntry{}, fmt.Errorf("%s: symbolic link on a host that cannot read links", full)
	}
	target, err := lk.Readlink(ctx, full)
	if err != nil {
		return treeEntry{}, err
	}
	r := resolver{ctx: ctx, lk: lk, root: root}
	// rel's directory holds no link: the walk only enters directories.
	at, fi, err := r.resolve(path.Dir(rel), target)
	switch {
	case errors.Is(err, errOutside) && r.via != "":
		return treeEntry{}, fmt.Errorf("symlink %s points outside the tree (%s, through the link %s to %s)", full, target, path.Join(root, r.via), r.viaTarget)
	case errors.Is(err, errOutside):
		return treeEntry{}, fmt.Errorf("symlink %s points outside the tree (%s)", full, target)
	case err != nil:
		return treeEntry{}, fmt.Errorf("symlink %s: %w", full, err)
	case !fi.Mode().IsRegular():
		return treeEntry{}, fmt.Errorf("symlink %s points at %s, not a regular file", full, path.Join(root, at))
	}
	return treeEntry{rel: rel, srcRel: at, info: fi}, nil
}

var errOutside = errors.New("outside the tree")

// resolver resolves paths beneath root on a host, a component at a time.
type resolver struct {
	ctx  context.Context
	lk   Linker
	root string
	// via and viaTarget name the last link met inside the tree while
	// resolving (for the error of a path that leaves it through one).
	via, viaTarget string
	links          int
}

// resolve returns where target, taken relative to dir (a clean path
// relative to root holding no link, "." or "" for root itself), leads:
// the path relative to root with no link in it, and what is there
// (Lstat). A path that would leave root at any point is errOutside.
func (r *resolver) resolve(dir, target string) (string, fs.FileInfo, error) {
	if path.IsAbs(target) {
		return "", nil, errOutside
	}
	done := strings.TrimPrefix(dir, ".") // "" is root; else a path with no link
	todo := strings.Split(target, "/")
	var fi fs.FileInfo
	for len(todo) > 0 {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if done == "" {
				return "", nil, errOutside
			}
			// done holds no link: its parent is the lexical one.
			if done, fi = path.Dir(done), nil; done == "." {
				done = ""
			}
			continue
		}
		next := path.Join(done, c)
		st, err := r.lk.Lstat(r.ctx, path.Join(r.root, next))
		if err != nil {
			return "", nil, err
		}
		if st.Mode()&fs.ModeSymlink != 0 {
			if r.links++; r.links > maxLinks {
				return "", nil, errors.New("too many levels of links")
			}
			t, err := r.lk.Readlink(r.ctx, path.Join(r.root, next))
			if err != nil {
				return "", nil, err
			}
			r.via, r.viaTarget = next, t
			if path.IsAbs(t) {
				return "", nil, errOutside
			}
			todo = append(strings.Split(t, "/"), todo...)
			continue
		}
		if len(todo) > 0 && !st.IsDir() {
			return "", nil, fmt.Errorf("%s: %w", path.Join(r.root, next), syscall.ENOTDIR)
		}
		done, fi = next, st
	}
	if fi == nil { // a directory reached by "..", or the link's own directory
		st, err := r.lk.Lstat(r.ctx, path.Join(r.root, done))
		if err != nil {
			return "", nil, err
		}
		fi = st
	}
	return done, fi, nil
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

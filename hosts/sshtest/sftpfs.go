package sshtest

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/pkg/sftp"
)

// osFS serves the real file system to a pkg/sftp request server, with an
// optional write quota that makes writes fail with ENOSPC.
type osFS struct{ ip *inProcess }

func osHandlers(ip *inProcess) sftp.Handlers {
	f := osFS{ip}
	return sftp.Handlers{FileGet: f, FilePut: f, FileCmd: f, FileList: f}
}

var (
	_ sftp.OpenFileWriter       = osFS{}
	_ sftp.PosixRenameFileCmder = osFS{}
	_ sftp.LstatFileLister      = osFS{}
	_ sftp.ReadlinkFileLister   = osFS{}
)

func (f osFS) Fileread(r *sftp.Request) (io.ReaderAt, error) {
	return os.Open(r.Filepath)
}

func (f osFS) Filewrite(r *sftp.Request) (io.WriterAt, error) {
	return f.OpenFile(r)
}

func (f osFS) OpenFile(r *sftp.Request) (sftp.WriterAtReaderAt, error) {
	pf := r.Pflags()
	flags := 0
	switch {
	case pf.Read && pf.Write:
		flags = os.O_RDWR
	case pf.Write:
		flags = os.O_WRONLY
	}
	if pf.Append {
		flags |= os.O_APPEND
	}
	if pf.Creat {
		flags |= os.O_CREATE
	}
	if pf.Trunc {
		flags |= os.O_TRUNC
	}
	if pf.Excl {
		flags |= os.O_EXCL
	}
	mode := fs.FileMode(0o644)
	if r.AttrFlags().Permissions {
		mode = r.Attributes().FileMode().Perm()
	}
	file, err := os.OpenFile(r.Filepath, flags, mode)
	if err != nil {
		return nil, err
	}
	return &quotaFile{File: file, ip: f.ip}, nil
}

// quotaFile fails writes with ENOSPC once the server's quota is used up.
type quotaFile struct {
	*os.File
	ip *inProcess
}

func (q *quotaFile) WriteAt(b []byte, off int64) (int, error) {
	if left := q.ip.quota.Load(); left >= 0 {
		if q.ip.quota.Add(-int64(len(b))) < 0 {
			q.ip.quota.Store(0)
			return 0, &fs.PathError{Op: "write", Path: q.Name(), Err: syscall.ENOSPC}
		}
	}
	if off == 0 && len(b) > 0 {
		if _, ok := q.ip.corrupt.LoadAndDelete(filepath.Base(q.Name())); ok {
			bad := append([]byte(nil), b...)
			bad[0] ^= 0xff
			return q.File.WriteAt(bad, off)
		}
	}
	return q.File.WriteAt(b, off)
}

func (f osFS) Filecmd(r *sftp.Request) error {
	switch r.Method {
	case "Setstat":
		return setstat(r)
	case "Rename":
		// SFTP rename does not replace an existing file (OpenSSH semantics).
		if _, err := os.Lstat(r.Target); err == nil {
			return fs.ErrExist
		}
		return os.Rename(r.Filepath, r.Target)
	case "Rmdir":
		return syscall.Rmdir(r.Filepath)
	case "Remove":
		if fi, err := os.Lstat(r.Filepath); err == nil && fi.IsDir() {
			return syscall.EISDIR
		}
		return os.Remove(r.Filepath)
	case "Mkdir":
		return os.Mkdir(r.Filepath, 0o755)
	case "Link":
		return os.Link(r.Filepath, r.Target)
	case "Symlink":
		return os.Symlink(r.Filepath, r.Target) // Filepath is the link's target
	}
	return errors.New("unsupported")
}

func (f osFS) PosixRename(r *sftp.Request) error {
	return os.Rename(r.Filepath, r.Target)
}

func setstat(r *sftp.Request) error {
	af, a := r.AttrFlags(), r.Attributes()
	if af.Size {
		if err := os.Truncate(r.Filepath, int64(a.Size)); err != nil {
			return err
		}
	}
	if af.Permissions {
		if err := os.Chmod(r.Filepath, a.FileMode().Perm()); err != nil {
			return err
		}
	}
	if af.Acmodtime {
		if err := os.Chtimes(r.Filepath, a.AccessTime(), a.ModTime()); err != nil {
			return err
		}
	}
	if af.UidGid {
		if err := os.Lchown(r.Filepath, int(a.UID), int(a.GID)); err != nil {
			return err
		}
	}
	return nil
}

type listing []fs.FileInfo

func (l listing) ListAt(out []fs.FileInfo, off int64) (int, error) {
	if off >= int64(len(l)) {
		return 0, io.EOF
	}
	n := copy(out, l[off:])
	if off+int64(n) >= int64(len(l)) {
		return n, io.EOF
	}
	return n, nil
}

func (f osFS) Filelist(r *sftp.Request) (sftp.ListerAt, error) {
	switch r.Method {
	case "List":
		ents, err := os.ReadDir(r.Filepath)
		if err != nil {
			return nil, err
		}
		var out listing
		for _, e := range ents {
			if fi, err := e.Info(); err == nil {
				out = append(out, fi)
			}
		}
		return out, nil
	case "Stat":
		fi, err := os.Stat(r.Filepath)
		if err != nil {
			return nil, err
		}
		return listing{fi}, nil
	}
	return nil, errors.New("unsupported")
}

func (f osFS) Lstat(r *sftp.Request) (sftp.ListerAt, error) {
	fi, err := os.Lstat(r.Filepath)
	if err != nil {
		return nil, err
	}
	return listing{fi}, nil
}

func (f osFS) Readlink(p string) (string, error) {
	return os.Readlink(p)
}

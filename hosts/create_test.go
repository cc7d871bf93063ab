package hosts_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/planrun/planrun/hosts"
	"github.com/planrun/planrun/hosts/sshtest"
)

// swapSource is a host whose files, once read from, run swap first: what
// someone who can write the destination directory could do meanwhile.
type swapSource struct {
	hosts.Host
	swap func()
}

func (s swapSource) Open(ctx context.Context, p string) (io.ReadCloser, error) {
	r, err := s.Host.Open(ctx, p)
	if err != nil {
		return nil, err
	}
	return &swapReader{ReadCloser: r, swap: s.swap}, nil
}

type swapReader struct {
	io.ReadCloser
	once sync.Once
	swap func()
}

func (r *swapReader) Read(b []byte) (int, error) {
	r.once.Do(r.swap)
	return r.ReadCloser.Read(b)
}

// TestTempSwappedForLinkMidCopy: a copy's temp file replaced by a link
// while it is written gets its mode through the open file, never through
// the name: the link's target keeps its mode and content. (The in-process
// server is left out: pkg/sftp's request server applies a chmod through
// a handle to the handle's path.)
func TestTempSwappedForLinkMidCopy(t *testing.T) {
	srv := sshtest.StartSSHD(t)
	for name, dst := range map[string]struct {
		h   hosts.Host
		dir string // the host's directory on this machine
	}{
		"local":   {hosts.NewLocal("local", t.TempDir()), ""},
		"openssh": {srv.Host(t, "sshd"), srv.Dir},
	} {
		t.Run(name, func(t *testing.T) {
			dir := dst.dir
			if dir == "" {
				dir = dst.h.(*hosts.Local).Root()
			}
			src := hosts.NewLocal("local", t.TempDir())
			if err := os.WriteFile(filepath.Join(src.Root(), "f"), []byte("from the source\n"), 0o444); err != nil {
				t.Fatal(err)
			}
			victim := filepath.Join(dir, "victim")
			if err := os.WriteFile(victim, []byte("precious\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			tmp := filepath.Join(dir, hosts.TempName("f"))
			swap := func() {
				if err := os.Rename(tmp, tmp+".aside"); err != nil {
					t.Errorf("move the temp file aside: %v", err)
				}
				if err := os.Symlink(victim, tmp); err != nil {
					t.Errorf("plant a link: %v", err)
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			// The copy may fail (what is under the temp name at the end
			// is not what was written) or not; the link must not be
			// followed either way.
			_, err := hosts.Copy(ctx, swapSource{src, swap}, "f", dst.h, "f", hosts.CopyOptions{})
			t.Logf("copy: %v", err)
			b, err := os.ReadFile(victim)
			if err != nil || string(b) != "precious\n" {
				t.Errorf("victim: %q, %v; want it unchanged", b, err)
			}
			if fi, err := os.Stat(victim); err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("victim: mode %v, %v; want 0600 (chmodded through the link)", fi.Mode(), err)
			}
		})
	}
}

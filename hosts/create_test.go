package hosts_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
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

// TestSourceSwappedForLinkAfterWalk: a local source tree's files are
// opened beneath its root, so a file swapped for a link out of the tree
// after the walk (while an earlier file is sent) is refused when opened,
// and what the link leads to is not copied, to a local or an SFTP
// destination.
func TestSourceSwappedForLinkAfterWalk(t *testing.T) {
	srv := sshtest.StartInProcess(t)
	for name, dst := range map[string]struct {
		h   hosts.Host
		dir string // the destination's directory on this machine
	}{
		"local": {hosts.NewLocal("dst", ""), t.TempDir()},
		"sftp":  {srv.Host(t, "sftp"), srv.Dir},
	} {
		t.Run(name, func(t *testing.T) {
			base := t.TempDir()
			secret := filepath.Join(base, "secret")
			if err := os.WriteFile(secret, []byte("TOPSECRET\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			tree := filepath.Join(base, "src")
			os.MkdirAll(tree, 0o755)
			os.WriteFile(filepath.Join(tree, "a.bin"), make([]byte, 256<<10), 0o644)
			z := filepath.Join(tree, "z.txt")
			os.WriteFile(z, []byte("plain txt\n"), 0o644) // the secret's size: a size check does not tell
			// a.bin takes about a second at this rate; z.txt is swapped
			// for a link to the secret well after the walk, before it is
			// opened.
			swapped := make(chan struct{})
			go func() {
				defer close(swapped)
				time.Sleep(300 * time.Millisecond)
				os.Remove(z)
				os.Symlink(secret, z)
			}()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			out := filepath.Join(dst.dir, "out")
			_, err := hosts.Copy(ctx, hosts.NewLocal("local", ""), tree, dst.h, out,
				hosts.CopyOptions{Parallel: 1, BytesPerSecond: 256 << 10})
			<-swapped
			if err == nil {
				t.Errorf("copy succeeded, want the swapped file refused")
			}
			filepath.Walk(dst.dir, func(p string, fi os.FileInfo, err error) error {
				if err == nil && fi.Mode().IsRegular() {
					if b, _ := os.ReadFile(p); strings.Contains(string(b), "TOPSECRET") {
						t.Errorf("%s holds the secret", p)
					}
				}
				return nil
			})
		})
	}
}

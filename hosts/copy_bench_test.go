package hosts_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/planrun/planrun/hosts"
	"github.com/planrun/planrun/hosts/sshtest"
)

// benchTree writes n files of 1–64 KiB in 40 directories under root (the
// shape of a model tree's many small files) and returns their total size.
func benchTree(b *testing.B, root string, n int) int64 {
	b.Helper()
	rnd := rand.New(rand.NewPCG(42, 0))
	var total int64
	for i := range n {
		p := filepath.Join(root, fmt.Sprintf("d%02d/f%04d.pb", i%40, i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		data := randomBytes(1024+rnd.IntN(63*1024), uint64(i))
		if err := os.WriteFile(p, data, 0o644); err != nil {
			b.Fatal(err)
		}
		total += int64(len(data))
	}
	return total
}

// BenchmarkCopySmallFiles copies 2,000 small files as a fresh tree, from
// this machine to itself and to OpenSSH's sshd on 127.0.0.1, onto the
// test's disk and (when there is one) onto tmpfs, where the per-file cost
// of the protocol shows without the file system's. Run with
// -benchtime=5x; add -cpuprofile to see where the time goes.
func BenchmarkCopySmallFiles(b *testing.B) {
	srcDir := b.TempDir()
	total := benchTree(b, filepath.Join(srcDir, "m"), 2000)
	src := hosts.NewLocal("local", srcDir)
	dests := map[string]string{"disk": b.TempDir()}
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		shm, err := os.MkdirTemp("/dev/shm", "planrun-bench-")
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { os.RemoveAll(shm) })
		dests["tmpfs"] = shm
	}
	srv := sshtest.StartSSHD(b)
	targets := map[string]func(b *testing.B) hosts.Host{
		"local": func(*testing.B) hosts.Host { return hosts.NewLocal("dst", "") },
		"sshd":  func(b *testing.B) hosts.Host { return srv.Host(b, "sshd") },
	}
	for _, target := range []string{"local", "sshd"} {
		for _, fs := range []string{"disk", "tmpfs"} {
			dir, ok := dests[fs]
			if !ok {
				continue
			}
			b.Run(target+"/"+fs, func(b *testing.B) {
				dst := targets[target](b)
				ctx := context.Background()
				b.SetBytes(total)
				for i := range b.N {
					out := filepath.Join(dir, fmt.Sprintf("%s-%d", target, i))
					res, err := hosts.Copy(ctx, src, "m", dst, out, hosts.CopyOptions{})
					if err != nil {
						b.Fatal(err)
					}
					if res.Files != 2000 || res.Sent != total {
						b.Fatalf("result %+v", res)
					}
					b.StopTimer()
					os.RemoveAll(out)
					os.Remove(hosts.SumsName(out))
					b.StartTimer()
				}
			})
		}
	}
}

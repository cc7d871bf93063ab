package hosts_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/planrun/planrun/hosts"
	"github.com/planrun/planrun/hosts/sshtest"
)

// TestCopyBytesPerSecond: a copy with a rate limit sends its files, all
// together, no faster than the limit (the burst aside), and intact; files
// already identical are not paced. Only the lower bound is checked: how
// fast a copy may go is for the benchmarks.
func TestCopyBytesPerSecond(t *testing.T) {
	const rate = 512 << 10
	srv := sshtest.StartInProcess(t)
	for _, tc := range []struct {
		name string
		dst  func(t *testing.T) hosts.Host
	}{
		{"local", func(t *testing.T) hosts.Host { return hosts.NewLocal("dst", t.TempDir()) }},
		{"ssh", func(t *testing.T) hosts.Host { return srv.NewHost(t, "remote") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := hosts.NewLocal("local", t.TempDir())
			os.MkdirAll(filepath.Join(src.Root(), "m", "d"), 0o755)
			var total int
			for i, n := range []int{400 << 10, 300 << 10, 200 << 10, 100 << 10, 24 << 10} {
				data := randomBytes(n, uint64(i))
				total += n
				os.WriteFile(filepath.Join(src.Root(), "m", "d", string(rune('a'+i))), data, 0o644)
			}
			dst := tc.dst(t)
			ctx := context.Background()
			start := time.Now()
			res, err := hosts.Copy(ctx, src, "m", dst, "m", hosts.CopyOptions{BytesPerSecond: rate})
			took := time.Since(start)
			if err != nil {
				t.Fatal(err)
			}
			if res.Sent != int64(total) {
				t.Fatalf("sent %d bytes, want %d", res.Sent, total)
			}
			min := time.Duration(float64(total)/rate*float64(time.Second)) - 100*time.Millisecond // the burst
			if took < min {
				t.Errorf("%d bytes at %d bytes/s took %v, want at least %v", total, rate, took, min)
			}
			for i := range 5 {
				r, err := dst.Open(ctx, "m/d/"+string(rune('a'+i)))
				if err != nil {
					t.Fatal(err)
				}
				var got bytes.Buffer
				got.ReadFrom(r)
				r.Close()
				want, _ := os.ReadFile(filepath.Join(src.Root(), "m", "d", string(rune('a'+i))))
				if !bytes.Equal(got.Bytes(), want) {
					t.Fatalf("file %c differs at the destination", 'a'+i)
				}
			}
			start = time.Now()
			res, err = hosts.Copy(ctx, src, "m", dst, "m", hosts.CopyOptions{BytesPerSecond: rate})
			if err != nil || res.Sent != 0 || time.Since(start) >= min {
				t.Errorf("copy again: sent %d, %v, took %v; want nothing sent, and no pacing (under %v)", res.Sent, err, time.Since(start), min)
			}
		})
	}
}

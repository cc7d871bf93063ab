package hosts

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"testing"
)

// TestPumpSizes: pump moves a file of the size announced whole and
// hashed, through every buffer class and past them; a file that grew or
// shrank while read comes out with another count (the caller's error).
func TestPumpSizes(t *testing.T) {
	for _, size := range []int64{0, 1, 64 << 10, 64<<10 + 1, 256 << 10, localBufSize, localBufSize + 1} {
		for _, delta := range []int64{0, -1, 1, 4096} {
			actual := size + delta
			if actual < 0 {
				continue
			}
			t.Run(fmt.Sprintf("%d%+d", size, delta), func(t *testing.T) {
				data := bytes.Repeat([]byte{7, 1, 3}, int(actual)/3+1)[:actual]
				var out bytes.Buffer
				h := sha256.New()
				n, err := pump(&out, bytes.NewReader(data), size, h, nopProgress{})
				if err != nil {
					t.Fatal(err)
				}
				if (n == size) != (delta == 0) {
					t.Fatalf("pump of %d bytes announced as %d: count %d", actual, size, n)
				}
				if delta == 0 {
					want := sha256.Sum256(data)
					if !bytes.Equal(out.Bytes(), data) || !bytes.Equal(h.Sum(nil), want[:]) {
						t.Fatalf("moved %d bytes, hash %x; want the %d read, %x", out.Len(), h.Sum(nil), len(data), want)
					}
				}
			})
		}
	}
}

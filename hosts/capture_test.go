package hosts

import (
	"bytes"
	"fmt"
	"testing"
)

// TestTailBuffer: whatever the sizes of the writes, the buffer holds the
// last keep bytes and counts the rest; keep 0 holds everything.
func TestTailBuffer(t *testing.T) {
	for _, keep := range []int{0, 1, 7, 64} {
		for _, sizes := range [][]int{{}, {3}, {7}, {8}, {1, 1, 1, 1, 1, 1, 1, 1, 1}, {100}, {5, 200, 3}, {64, 64, 64, 1}} {
			t.Run(fmt.Sprint(keep, sizes), func(t *testing.T) {
				tb := &tailBuffer{keep: keep}
				var all []byte
				for i, n := range sizes {
					p := bytes.Repeat([]byte{byte('a' + i)}, n)
					for j := range p {
						p[j] += byte(j % 3)
					}
					if m, err := tb.Write(p); m != n || err != nil {
						t.Fatalf("write %d: %d, %v", n, m, err)
					}
					all = append(all, p...)
				}
				want := all
				if keep > 0 && len(all) > keep {
					want = all[len(all)-keep:]
				}
				got, cut := tb.bytes()
				if !bytes.Equal(got, want) || cut != int64(len(all)-len(want)) {
					t.Errorf("holds %q, cut %d; want %q, cut %d", got, cut, want, len(all)-len(want))
				}
			})
		}
	}
}

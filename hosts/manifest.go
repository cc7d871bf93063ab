package hosts

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

const sumsSuffix = ".planrun-sums"

// SumsName is where Copy records the digests it verified for a copy at p:
// ".<name>.planrun-sums" beside it (not inside a copied tree).
func SumsName(p string) string {
	return path.Join(path.Dir(p), "."+path.Base(p)+sumsSuffix)
}

// sums is a digest record: relative path → the sha256 verified for the
// file when it had that size and mtime. An entry is trusted only while
// the file's size and mtime (seconds) are unchanged, and only when that
// mtime is at least two seconds older than the record itself (by the
// host's clock): a file changed after the record was written then has a
// newer mtime, so a later change is always seen ("racy" entries, whose
// mtime is too close to the record's, are hashed again).
type sums map[string]sumEntry

type sumEntry struct {
	sha   string
	size  int64
	mtime int64
	racy  bool // not trusted: mtime too close to the record's own
}

const sumsHeader = "planrun-sums 1"

// lookup returns the recorded digest of rel when fi still matches it.
func (s sums) lookup(rel string, fi fs.FileInfo) (string, bool) {
	e, ok := s[rel]
	if !ok || e.racy || e.size != fi.Size() || e.mtime != fi.ModTime().Unix() {
		return "", false
	}
	return e.sha, true
}

// readSums loads the record for p on h; a missing or unreadable record is
// an empty one (digests are then computed).
func readSums(ctx context.Context, h Host, p string) sums {
	fi, err := h.Stat(ctx, SumsName(p))
	if err != nil {
		return sums{}
	}
	written := fi.ModTime().Unix()
	r, err := h.Open(ctx, SumsName(p))
	if err != nil {
		return sums{}
	}
	defer r.Close()
	s := sums{}
	sc := bufio.NewScanner(io.LimitReader(r, 256<<20))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	if !sc.Scan() || sc.Text() != sumsHeader {
		return sums{}
	}
	for sc.Scan() {
		f := strings.SplitN(sc.Text(), "\t", 4)
		if len(f) != 4 || len(f[0]) != 64 {
			return sums{}
		}
		size, err1 := strconv.ParseInt(f[1], 10, 64)
		mt, err2 := strconv.ParseInt(f[2], 10, 64)
		rel, ok := parseRecordName(f[3])
		if err1 != nil || err2 != nil || !ok {
			return sums{}
		}
		s[rel] = sumEntry{sha: f[0], size: size, mtime: mt, racy: mt+2 > written}
	}
	if sc.Err() != nil {
		return sums{}
	}
	return s
}

// writeSums records s for p on h (temp name + rename).
func writeSums(ctx context.Context, h Host, p string, s sums) error {
	name := SumsName(p)
	tmp := TempName(name)
	w, err := h.Create(ctx, tmp, 0o644)
	if err != nil {
		return err
	}
	keys := make([]string, 0, len(s))
	for k := range s {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	bw := bufio.NewWriterSize(w, 64<<10)
	fmt.Fprintln(bw, sumsHeader)
	for _, k := range keys {
		e := s[k]
		fmt.Fprintf(bw, "%s\t%d\t%d\t%s\n", e.sha, e.size, e.mtime, recordName(k))
	}
	err = bw.Flush()
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = h.Rename(ctx, tmp, name)
	}
	if err != nil {
		cleanup(ctx, h, tmp)
		return fmt.Errorf("record digests %s: %w", name, err)
	}
	return nil
}

func entryOf(sha string, size int64, mtime time.Time) sumEntry {
	return sumEntry{sha: sha, size: size, mtime: mtime.Unix()}
}

// recordName is how a relative path is written in a line of the digest
// record or the tree digest: as it is, unless it holds a tab, a newline
// or a carriage return (a line reader drops one at the end), or starts
// with a quote, which would let one name pass for another, or for another
// line's fields; then Go-quoted. Both forms read back unambiguously.
func recordName(rel string) string {
	if strings.ContainsAny(rel, "\t\n\r") || strings.HasPrefix(rel, `"`) {
		return strconv.Quote(rel)
	}
	return rel
}

// parseRecordName undoes recordName.
func parseRecordName(s string) (string, bool) {
	if !strings.HasPrefix(s, `"`) {
		return s, true
	}
	rel, err := strconv.Unquote(s)
	return rel, err == nil
}

// manifestDigest is the sha256 of the sorted "relpath\tsha256\n" lines
// (relpath as recordName writes it).
func manifestDigest(files []treeEntry, sums []string) string {
	lines := make([]string, len(files))
	for i, f := range files {
		lines[i] = recordName(f.rel) + "\t" + sums[i] + "\n"
	}
	sort.Strings(lines)
	h := sha256.New()
	for _, l := range lines {
		h.Write([]byte(l))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// ManifestDigest returns the tree digest Copy reports for files given as
// relative path → sha256.
func ManifestDigest(sums map[string]string) string {
	files := make([]treeEntry, 0, len(sums))
	s := make([]string, 0, len(sums))
	for rel, sum := range sums {
		files = append(files, treeEntry{rel: rel})
		s = append(s, sum)
	}
	return manifestDigest(files, s)
}

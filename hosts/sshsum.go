package hosts

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

var _ batchHasher = (*SSH)(nil)

// sha256Many hashes the files names (relative to dir, or absolute) with
// one run, in dir, of the first hash tool that works on the host
// (openssl, else sha256sum); ok=false means none does. Every output line
// must name its file, in order, so output that cannot be read is never
// taken for a digest.
func (h *SSH) sha256Many(ctx context.Context, dir string, names []string) ([]string, bool, error) {
	return h.sha256In(ctx, dir, names, false)
}

// splitMin is the fewest files hashed by two processes at once (see
// SSH.shellLine): a batch verified after the last file was written is
// waited for, and the second process saves more than it costs to start
// (openssl: 4 ms of CPU).
const splitMin = 128

// sha256In is sha256Many; spread is runQuick's (set for a large file).
func (h *SSH) sha256In(ctx context.Context, dir string, names []string, spread bool) ([]string, bool, error) {
	rps := make([]string, len(names))
	for i, p := range names {
		if !plainSumName(p) { // the caller hashes them: the tool still works for others
			return nil, false, nil
		}
		rps[i] = path.Clean(p)
		if strings.HasPrefix(rps[i], "-") {
			rps[i] = "./" + rps[i]
		}
	}
	first := path.Join(dir, names[0]) // for errors
	for {
		h.mu.Lock()
		tool := h.sumTool
		h.mu.Unlock()
		if tool >= len(hashTools) {
			return nil, false, nil
		}
		t := hashTools[tool]
		o := quickOpts{spread: spread}
		if len(rps) >= splitMin {
			o.split = len(t.args)
		}
		res, err := h.runQuick(ctx, Command{Path: t.path, Args: append(append([]string(nil), t.args...), rps...), Dir: dir}, o)
		if err != nil {
			return nil, false, &fs.PathError{Op: "sha256", Path: h.name + ":" + first, Err: err}
		}
		if res.ExitCode == 0 {
			if sums, ok := parseSums(string(res.Stdout), rps); ok {
				return sums, true, nil
			}
		}
		if res.ExitCode == 0 || res.ExitCode == 127 { // missing, or output we cannot read
			h.mu.Lock()
			if h.sumTool == tool {
				h.sumTool = tool + 1
			}
			h.mu.Unlock()
			continue
		}
		if !h.runsCommands(ctx) { // an SFTP-only account: hash through SFTP
			h.mu.Lock()
			h.sumTool = len(hashTools)
			h.mu.Unlock()
			return nil, false, nil
		}
		return nil, false, &fs.PathError{Op: "sha256", Path: h.name + ":" + first,
			Err: fmt.Errorf("%s: exit status %d: %s", t.path, res.ExitCode, strings.TrimSpace(string(res.Stderr)))}
	}
}

// runsCommands reports whether the host runs the commands it is sent. An
// account for SFTP only has a login shell that refuses them all
// (/usr/sbin/nologin prints "This account is currently not available."
// and exits 1; sshd's ForceCommand internal-sftp serves SFTP instead):
// a hash tool that fails there says nothing about the files. Asked once
// per host, when a hash tool fails.
func (h *SSH) runsCommands(ctx context.Context) bool {
	h.mu.Lock()
	known, ok := h.canRun, h.canRunKnown
	h.mu.Unlock()
	if ok {
		return known
	}
	var b [8]byte
	rand.Read(b[:])
	token := "planrun-" + hex.EncodeToString(b[:])
	// /bin/sh by its path, echo built in: a PATH without programs is not
	// taken for a host that refuses commands.
	res, err := h.Exec(ctx, Command{Path: "/bin/sh", Args: []string{"-c", "echo " + token}})
	if err != nil {
		return true // unknown: keep the tool's error
	}
	can := res.ExitCode == 0 && strings.TrimSpace(string(res.Stdout)) == token
	h.mu.Lock()
	h.canRun, h.canRunKnown = can, true
	h.mu.Unlock()
	return can
}

// parseSums reads "<hex> *<path>" (openssl -r, sha256sum -b) or
// "<hex>  <path>" (sha256sum) lines, one per path, in order.
func parseSums(out string, paths []string) ([]string, bool) {
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(paths) {
		return nil, false
	}
	sums := make([]string, len(paths))
	for i, l := range lines {
		if len(l) < 66 || l[64] != ' ' || (l[65] != '*' && l[65] != ' ') || l[66:] != paths[i] {
			return nil, false
		}
		if _, err := hex.DecodeString(l[:64]); err != nil {
			return nil, false
		}
		sums[i] = strings.ToLower(l[:64])
	}
	return sums, true
}

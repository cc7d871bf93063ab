package steps

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/planrun/planrun/hosts"
)

// LocalPath returns the operating-system path of p, a path on the "local"
// host: a relative path resolves as that host resolves it (against its
// root, else the plan's directory).
func LocalPath(ctx context.Context, env *Env, p string) (string, error) {
	h, err := env.Hosts.Host(ctx, hosts.LocalName)
	if err != nil {
		return "", err
	}
	if l, ok := h.(*hosts.Local); ok {
		return l.Resolve(p), nil
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(env.BaseDir, p)
	}
	return p, nil
}

// Fetch returns an operating-system path on this machine for addr
// ("host:path", a file or a tree) for a step to read. A path on a host
// that is this machine (the local host, or another local host with its own
// root) is used where it is; one on another machine is first copied into
// the step's work directory, under subdir, with hosts.Copy (sha256-checked).
func Fetch(ctx context.Context, env *Env, addr, subdir string) (string, error) {
	return FetchAt(ctx, env, addr, subdir, 0)
}

// FetchAt is Fetch with the copy's rate capped at bytesPerSecond (0: no cap).
func FetchAt(ctx context.Context, env *Env, addr, subdir string, bytesPerSecond int64) (string, error) {
	hn, p := hosts.ParseAddress(addr)
	h, err := env.Hosts.Host(ctx, hn)
	if err != nil {
		return "", err
	}
	if l, ok := h.(*hosts.Local); ok {
		if _, err := l.Stat(ctx, p); errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("%s: %w%s", addr, err, hosts.MissingHint(ctx, l, p))
		}
		return l.Resolve(p), nil
	}
	local, err := env.Hosts.Host(ctx, hosts.LocalName)
	if err != nil {
		return "", err
	}
	dir := env.StepDir(subdir) + "/"
	res, err := hosts.Copy(ctx, h, p, local, dir, hosts.CopyOptions{Progress: env.Progress, BytesPerSecond: bytesPerSecond})
	if err != nil {
		return "", fmt.Errorf("fetch %s: %w", addr, err)
	}
	return LocalPath(ctx, env, res.Path)
}

// LocalOutput is how an output names p, an absolute path on this machine
// that a step made: relative to the local host's directory (its root,
// else the plan's) when p is inside it, as the plan's own relative paths
// are, so that a workspace moved whole with its state directory still
// finds it (see plan.Plan.Relocate); otherwise p. LocalPath reads it back.
func LocalOutput(ctx context.Context, env *Env, p string) string {
	base := env.BaseDir
	if h, err := env.Hosts.Host(ctx, hosts.LocalName); err == nil {
		if l, ok := h.(*hosts.Local); ok && l.Root() != "" {
			base = l.Root()
		}
	}
	if base == "" || !filepath.IsAbs(p) {
		return p
	}
	rel, err := filepath.Rel(base, p)
	if err != nil || !filepath.IsLocal(rel) {
		return p
	}
	return filepath.ToSlash(rel)
}

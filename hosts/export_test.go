package hosts

import (
	"context"
	"time"
)

// PacketSize is the SFTP payload size of h's connection (for tests).
func PacketSize(ctx context.Context, h *SSH) (int, error) {
	c, err := h.connect(ctx)
	if err != nil {
		return 0, err
	}
	return c.packet, nil
}

// WarmHashShell starts h's hash shell in the background (for tests).
func WarmHashShell(ctx context.Context, h *SSH) { h.warmHashShell(ctx) }

// SHA256Many hashes names (relative to dir) as Copy's verification does:
// one command for the batch (for tests).
func SHA256Many(ctx context.Context, h *SSH, dir string, names []string) ([]string, bool, error) {
	return h.sha256Many(ctx, dir, names)
}

// SetDeadGrace sets how long a request may go unanswered after its
// context ended (for tests); the returned func restores it.
func SetDeadGrace(d time.Duration) (restore func()) {
	old := deadGrace
	deadGrace = d
	return func() { deadGrace = old }
}

// User is the user h logs in as (for tests).
func User(h *SSH) string { return h.user }

// StartHashShell starts h's hash shell and waits until it runs, so that
// a copy's batches are hashed by it rather than read back (for tests).
func StartHashShell(ctx context.Context, h *SSH) error {
	h.warmHashShell(ctx)
	for !h.hashShellLive() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
	return nil
}

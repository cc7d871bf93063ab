// Package testfs gives tests small file systems of their own, to fill or
// make read-only: tmpfs mounts, which need root on Linux.
package testfs

import (
	"os"
	"os/exec"
	"runtime"
	"testing"
)

// Tmpfs mounts a tmpfs of size (as mount's size= takes it: "64k", "1m")
// on a new temporary directory, unmounted when the test ends, and returns
// the directory. Where it cannot (not root on Linux, or mount refused) it
// skips the test, naming what needed it.
func Tmpfs(t testing.TB, what, size string) string {
	t.Helper()
	if runtime.GOOS != "linux" || os.Geteuid() != 0 {
		t.Skipf("%s: needs root on Linux to mount a small tmpfs", what)
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("%s: cannot mount a tmpfs here: %v: %s", what, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// Remount gives the tmpfs at dir new options ("size=4m", "ro", "rw").
func Remount(t testing.TB, dir, opts string) {
	t.Helper()
	if out, err := exec.Command("mount", "-o", "remount,"+opts, dir).CombinedOutput(); err != nil {
		t.Fatalf("remount %s %s: %v: %s", dir, opts, err, out)
	}
}

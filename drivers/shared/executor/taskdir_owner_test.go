package executor

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func ownerOf(t *testing.T, path string) uint32 {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Uid
}

// The task dir and the agent's files in it go to the task user; a file of
// a third user stays its own, and a symlink out of the dir is not followed.
func TestOwnTaskDir(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("skipped: chown to another user needs root")
	}
	dir := t.TempDir()
	outside := filepath.Join(t.TempDir(), "outside")
	mustWrite := func(p string) {
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mustWrite(filepath.Join(dir, "template.conf"))
	mustWrite(filepath.Join(dir, "theirs"))
	mustWrite(outside)
	if err := os.Chown(filepath.Join(dir, "theirs"), 4242, 4242); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	nobody := &syscall.Credential{Uid: 65534, Gid: 65534}
	if err := ownTaskDir(dir, nobody); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]uint32{
		dir: 65534, filepath.Join(dir, "template.conf"): 65534, filepath.Join(dir, "link"): 65534,
		filepath.Join(dir, "theirs"): 4242, outside: 0,
	} {
		if got := ownerOf(t, path); got != want {
			t.Errorf("%s owned by %d, want %d", path, got, want)
		}
	}
	// Root tasks and tasks without a user leave the directory alone.
	other := t.TempDir()
	if err := ownTaskDir(other, &syscall.Credential{Uid: 0}); err != nil || ownerOf(t, other) != 0 {
		t.Errorf("root task: err %v, owner %d", err, ownerOf(t, other))
	}
}

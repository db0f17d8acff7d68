package executor

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestCheckReachable(t *testing.T) {
	// t.TempDir's parent is 0700: build the task dirs under a traversable
	// root of our own.
	root, err := os.MkdirTemp("", "reach-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	if err := os.Chmod(root, 0o711); err != nil {
		t.Fatal(err)
	}
	open := filepath.Join(root, "open", "task")
	closed := filepath.Join(root, "closed", "task")
	for _, d := range []string{open, closed} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(filepath.Join(root, "closed"), 0o700); err != nil {
		t.Fatal(err)
	}
	nobody := &syscall.Credential{Uid: 65534, Gid: 65534}
	if err := checkReachable(open, "nobody", nobody); err != nil {
		t.Errorf("open path: %v", err)
	}
	err = checkReachable(closed, "nobody", nobody)
	if err == nil || !strings.Contains(err.Error(), `user "nobody" cannot reach the task directory`) ||
		!strings.Contains(err.Error(), filepath.Join(root, "closed")) {
		t.Errorf("closed path: %v, want an error naming the closed directory", err)
	}
	if err := checkReachable(closed, "root", &syscall.Credential{}); err != nil {
		t.Errorf("root passes everything: %v", err)
	}
	owner := &syscall.Credential{Uid: uint32(os.Getuid()), Gid: 12345}
	if os.Getuid() != 0 {
		if err := checkReachable(closed, "me", owner); err != nil {
			t.Errorf("the owner may enter its own 0700 directory: %v", err)
		}
	}
}

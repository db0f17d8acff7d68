package executor

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"syscall"
)

// checkReachable tells, before fork, whether a task's user can enter its
// working directory: every directory on the way needs the execute bit for
// that user. Without this check the kernel's answer is a bare
// "fork/exec /bin/sh: permission denied", which points at the wrong file.
func checkReachable(dir, user string, cred *syscall.Credential) error {
	if cred == nil || cred.Uid == 0 {
		return nil
	}
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return fmt.Errorf("task directory %s: %w", dir, err)
		}
		if !mayEnter(fi, cred) {
			return fmt.Errorf("user %q cannot reach the task directory %s: %s (mode %v) does not let it in; "+
				"make it traversable (chmod o+x %s) or use a data dir whose parents are", user, dir, d, fi.Mode().Perm(), d)
		}
		if parent := filepath.Dir(d); parent == d {
			return nil
		}
	}
}

// mayEnter applies the owner/group/other execute bits for cred.
func mayEnter(fi os.FileInfo, cred *syscall.Credential) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return true // not a Unix stat: let the kernel decide
	}
	perm := fi.Mode().Perm()
	switch {
	case st.Uid == cred.Uid:
		return perm&0o100 != 0
	case st.Gid == cred.Gid || slices.Contains(cred.Groups, st.Gid):
		return perm&0o010 != 0
	}
	return perm&0o001 != 0
}

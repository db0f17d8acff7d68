package executor

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// ownTaskDir gives a task that runs as another user its own working
// directory, as Nomad does: the task directory and what the client put in
// it before the start (templates, artifacts, payload) are chowned to the
// task's user. Only entries still owned by the agent's user change hands,
// so a restart keeps whatever the task made and a file planted by someone
// else is never taken over. Symlinks are not followed.
func ownTaskDir(dir string, cred *syscall.Credential) error {
	if dir == "" || cred == nil || cred.Uid == 0 {
		return nil
	}
	self := uint32(os.Geteuid())
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && path != dir {
				return nil // removed while we walked
			}
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok || st.Uid != self {
			return nil
		}
		if err := os.Lchown(path, int(cred.Uid), int(cred.Gid)); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("give the task directory %s to uid %d: %w", dir, cred.Uid, err)
	}
	return nil
}

package executor

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// buildRoot runs in the task's init, inside its new mount namespace: it
// builds the task's root on a tmpfs over s.Root and pivots into it. The
// host's / is detached afterwards, so paths not bound in are unreachable;
// every mount lives in the task's namespace and goes with it.
func buildRoot(s *nsSpec) error {
	// Nothing mounted below may propagate to the host's namespace.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("making mounts private: %w", err)
	}
	root := s.Root
	if err := unix.Mount("tmpfs", root, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=0755"); err != nil {
		return fmt.Errorf("mounting the root tmpfs on %s: %w", root, err)
	}
	listed := map[string]bool{}
	for _, b := range s.Binds {
		listed[b.Dst] = true
	}
	// /tmp, /proc and /dev first, so that a chroot_env entry or a task
	// directory below /tmp lands on the new /tmp instead of being hidden.
	if err := mountSpecial(root, listed); err != nil {
		return err
	}
	// s.Binds has the read-only entries first, parents before children.
	for _, b := range s.Binds {
		if err := bindInto(root, b); err != nil {
			return err
		}
	}
	// The root's own tmpfs holds only mount points: read-only from now on.
	if err := unix.Mount("", root, "", unix.MS_REMOUNT|unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV, ""); err != nil {
		return fmt.Errorf("making the root read-only: %w", err)
	}
	return pivotInto(root)
}

// mountSpecial mounts a fresh /proc for the task's PID namespace, a minimal
// /dev and a tmpfs /tmp, unless chroot_env lists one of them itself.
func mountSpecial(root string, listed map[string]bool) error {
	if !listed["/proc"] {
		dir := filepath.Join(root, "proc")
		if err := os.MkdirAll(dir, 0o555); err != nil {
			return fmt.Errorf("creating /proc: %w", err)
		}
		if err := unix.Mount("proc", dir, "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
			return fmt.Errorf("mounting /proc: %w", err)
		}
	}
	if !listed["/dev"] {
		if err := buildDev(filepath.Join(root, "dev")); err != nil {
			return fmt.Errorf("building /dev: %w", err)
		}
	}
	if !listed["/tmp"] {
		if err := mountTmpfs(filepath.Join(root, "tmp"), "mode=1777"); err != nil {
			return fmt.Errorf("mounting /tmp: %w", err)
		}
	}
	return nil
}

func mountTmpfs(dir, opts string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return unix.Mount("tmpfs", dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, opts)
}

// devNodes are the devices a task gets, bound from the host's /dev.
var devNodes = []string{"null", "zero", "full", "random", "urandom", "tty"}

// buildDev makes a /dev with the usual character devices, its own devpts
// instance (so the task sees no host terminal), /dev/shm and the fd links.
func buildDev(dev string) error {
	if err := mountTmpfs(dev, "mode=0755"); err != nil {
		return err
	}
	for _, n := range devNodes {
		src := "/dev/" + n
		if _, err := os.Stat(src); err != nil {
			continue
		}
		if err := bindInto(dev, nsBind{Src: src, Dst: "/" + n, RW: true}); err != nil {
			return err
		}
	}
	pts := filepath.Join(dev, "pts")
	if err := os.MkdirAll(pts, 0o755); err != nil {
		return err
	}
	// A devpts of its own is optional: some hosts refuse a new instance,
	// and a task's terminals come from the executor's pty anyway.
	if unix.Mount("devpts", pts, "devpts", unix.MS_NOSUID|unix.MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620") == nil {
		_ = os.Symlink("pts/ptmx", filepath.Join(dev, "ptmx"))
	}
	if err := mountTmpfs(filepath.Join(dev, "shm"), "mode=1777"); err != nil {
		return err
	}
	for name, target := range map[string]string{
		"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1", "stderr": "/proc/self/fd/2",
	} {
		if err := os.Symlink(target, filepath.Join(dev, name)); err != nil {
			return err
		}
	}
	return unix.Mount("", dev, "", unix.MS_REMOUNT|unix.MS_RDONLY|unix.MS_NOSUID, "mode=0755")
}

// bindInto binds b.Src at root+b.Dst, read-only unless b.RW. A symlink is
// copied as a symlink (on merged-/usr hosts /bin is "usr/bin"), so that it
// resolves inside the root as it does on the host. A source missing on the
// host is skipped: the default list names directories not every host has.
func bindInto(root string, b nsBind) error {
	fi, err := os.Lstat(b.Src)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("chroot_env %s: %w", b.Src, err)
	}
	target := filepath.Join(root, b.Dst)
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return fmt.Errorf("creating the mount point of %s: %w", b.Dst, err)
	}
	if fi.Mode()&os.ModeSymlink != 0 {
		link, err := os.Readlink(b.Src)
		if err == nil {
			err = os.Symlink(link, target)
		}
		if err != nil {
			return fmt.Errorf("copying symlink %s: %w", b.Src, err)
		}
		return nil
	}
	if tfi, terr := os.Lstat(target); terr == nil && !fi.IsDir() {
		// A file bound over one of an earlier bind (resolv.conf over the
		// host's /etc): the mount point exists, perhaps on a read-only
		// mount. A symlink there would send the bind elsewhere.
		if tfi.Mode()&os.ModeSymlink != 0 {
			return fmt.Errorf("binding %s at %s: %s is a symlink in the task's root", b.Src, b.Dst, b.Dst)
		}
	} else if fi.IsDir() {
		err = os.Mkdir(target, 0o755)
	} else {
		var f *os.File
		if f, err = os.OpenFile(target, os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
			err = f.Close()
		}
	}
	if err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("creating the mount point of %s: %w", b.Dst, err)
	}
	if err := unix.Mount(b.Src, target, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("binding %s at %s: %w", b.Src, b.Dst, err)
	}
	if b.RW {
		return nil
	}
	// A bind remount keeps the source's nosuid/nodev/noexec: dropping
	// one would be refused, and would widen what the host allows.
	var st unix.Statfs_t
	if err := unix.Statfs(target, &st); err != nil {
		return fmt.Errorf("reading the flags of %s: %w", b.Dst, err)
	}
	flags := uintptr(unix.MS_BIND | unix.MS_REMOUNT | unix.MS_RDONLY)
	for st1, ms := range map[int64]uintptr{
		unix.ST_NOSUID: unix.MS_NOSUID, unix.ST_NODEV: unix.MS_NODEV, unix.ST_NOEXEC: unix.MS_NOEXEC,
		unix.ST_NOATIME: unix.MS_NOATIME, unix.ST_NODIRATIME: unix.MS_NODIRATIME, unix.ST_RELATIME: unix.MS_RELATIME,
	} {
		if st.Flags&st1 != 0 {
			flags |= ms
		}
	}
	if err := unix.Mount("", target, "", flags, ""); err != nil {
		return fmt.Errorf("making %s read-only: %w", b.Dst, err)
	}
	return nil
}

// pivotInto makes root the namespace's / and detaches the old one, so that
// no path leads back to the host's tree (a chroot would leave it mounted).
func pivotInto(root string) error {
	if err := unix.Chdir(root); err != nil {
		return fmt.Errorf("entering %s: %w", root, err)
	}
	if err := unix.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("pivot_root into %s: %w", root, err)
	}
	// The old root is stacked under the new one at "."; detach it.
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("detaching the host's root: %w", err)
	}
	return unix.Chdir("/")
}

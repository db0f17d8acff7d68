//go:build linux

package bridgenet

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"golang.org/x/sys/unix"
)

// utsDir holds the allocations' UTS namespaces (their host names), kept
// alive by a bind mount as the network namespaces are.
const utsDir = "/run/appmesh-uts"

// createUTS makes a UTS namespace with hostname and pins it at path. The
// thread that unshares is switched back to the agent's UTS namespace, or
// left locked (and so ended by the runtime) if that fails.
func createUTS(path, hostname string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", filepath.Dir(path), err)
	}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := unix.Open(fmt.Sprintf("/proc/self/task/%d/ns/uts", unix.Gettid()), unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			errc <- fmt.Errorf("opening the agent's UTS namespace: %w", err)
			return
		}
		defer unix.Close(orig)
		if err := unix.Unshare(unix.CLONE_NEWUTS); err != nil {
			errc <- fmt.Errorf("creating a UTS namespace: %w", err)
			return
		}
		err = pinUTS(path, hostname)
		if rerr := unix.Setns(orig, unix.CLONE_NEWUTS); rerr != nil {
			errc <- fmt.Errorf("returning to the agent's UTS namespace: %w", rerr)
			return
		}
		runtime.UnlockOSThread()
		errc <- err
	}()
	return <-errc
}

// pinUTS names the calling thread's new UTS namespace and bind-mounts it.
func pinUTS(path, hostname string) error {
	if err := unix.Sethostname([]byte(hostname)); err != nil {
		return fmt.Errorf("setting host name %q: %w", hostname, err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL, 0o444)
	if err != nil {
		return fmt.Errorf("creating %s: %w", path, err)
	}
	f.Close()
	src := fmt.Sprintf("/proc/self/task/%d/ns/uts", unix.Gettid())
	if err := unix.Mount(src, path, "", unix.MS_BIND, ""); err != nil {
		os.Remove(path)
		return fmt.Errorf("pinning the UTS namespace at %s: %w", path, err)
	}
	return nil
}

package executor

import (
	"fmt"
	"runtime"

	"golang.org/x/sys/unix"
)

// inNetNS runs fn on a thread switched into the network namespace at path
// (a bridge-mode allocation's), so a process forked by fn is born there:
// Linux has no clone flag to join an existing namespace, but a child
// inherits the namespaces of the thread that forked it. path "" runs fn
// as is.
func inNetNS(path string, fn func() error) error {
	if path == "" {
		return fn()
	}
	target, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("opening the allocation's network namespace: %w", err)
	}
	defer unix.Close(target)
	runtime.LockOSThread()
	orig, err := unix.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("opening the executor's network namespace: %w", err)
	}
	defer unix.Close(orig)
	if err := unix.Setns(target, unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("joining the allocation's network namespace: %w", err)
	}
	ferr := fn()
	if err := unix.Setns(orig, unix.CLONE_NEWNET); err != nil {
		// The thread stays locked, so the runtime ends it with its
		// goroutine instead of reusing it in the wrong namespace.
		return fmt.Errorf("returning to the executor's network namespace: %w", err)
	}
	runtime.UnlockOSThread()
	return ferr
}

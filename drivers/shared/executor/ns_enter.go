package executor

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// inTask runs fn on an OS thread that has joined the task's PID and mount
// namespaces (for a task without them, fn runs as is). A process fn starts
// from that thread is born inside: it sees the task's root and its /proc
// shows the task's processes. Joining a mount namespace needs a thread with
// its own filesystem context (unshare CLONE_FS), which no other goroutine
// may then use: the thread stays locked and the runtime ends it when the
// goroutine returns. Anything fn opens by path resolves inside the task,
// until it calls leave, which takes the thread back to the plugin's mount
// namespace (cgroup v1 files are moved into by path, after the fork).
func (t *task) inTask(fn func(leave func() error) error) error {
	if t.ns == nil {
		return fn(func() error { return nil })
	}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked, see above
		leave, err := enterNamespaces(t.pid)
		if err != nil {
			errc <- fmt.Errorf("entering the task's namespaces: %w", err)
			return
		}
		defer leave()
		errc <- fn(leave)
	}()
	return <-errc
}

// enterNamespaces moves the calling thread into pid's PID (for its future
// children) and mount namespaces; leave returns it to its own mount
// namespace and root, and may be called more than once.
func enterNamespaces(pid int) (leave func() error, err error) {
	dir := "/proc/" + strconv.Itoa(pid) + "/ns/"
	pidNS, err := os.Open(dir + "pid")
	if err != nil {
		return nil, err
	}
	defer pidNS.Close()
	mntNS, err := os.Open(dir + "mnt")
	if err != nil {
		return nil, err
	}
	defer mntNS.Close()
	// The task's network and host name too: a bridge-mode allocation's
	// (for any other task these are the executor's own, a no-op).
	for _, ns := range []struct {
		name string
		kind int
	}{{"net", unix.CLONE_NEWNET}, {"uts", unix.CLONE_NEWUTS}} {
		f, err := os.Open(dir + ns.name)
		if err != nil {
			return nil, err
		}
		err = unix.Setns(int(f.Fd()), ns.kind)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("setns %s: %w", ns.name, err)
		}
	}
	ownNS, err := os.Open("/proc/thread-self/ns/mnt")
	if err != nil {
		return nil, err
	}
	if err := unix.Unshare(unix.CLONE_FS); err != nil {
		ownNS.Close()
		return nil, fmt.Errorf("unshare: %w", err)
	}
	// The thread is never unlocked, so a failure half-way leaves nothing
	// behind for other goroutines.
	if err := unix.Setns(int(pidNS.Fd()), unix.CLONE_NEWPID); err != nil {
		ownNS.Close()
		return nil, fmt.Errorf("setns pid: %w", err)
	}
	if err := unix.Setns(int(mntNS.Fd()), unix.CLONE_NEWNS); err != nil {
		ownNS.Close()
		return nil, fmt.Errorf("setns mnt: %w", err)
	}
	left := false
	return func() error {
		if left {
			return nil
		}
		left = true
		defer ownNS.Close()
		if err := unix.Setns(int(ownNS.Fd()), unix.CLONE_NEWNS); err != nil {
			return fmt.Errorf("leaving the task's mount namespace: %w", err)
		}
		return nil
	}, nil
}

// startInTask is startInIsolation run inside the task's namespaces. If
// the namespaces cannot be entered, started still gets its one call (0), so
// that what the isolation opened for the start is released.
func (t *task) startInTask(sys *syscall.SysProcAttr, started func(int) error, start func() (int, error)) error {
	called := false
	err := t.inTask(func(leave func() error) error {
		called = true
		_, err := startInIsolation(sys, leaveThen(leave, started), start)
		return err
	})
	if !called {
		_ = started(0)
	}
	return err
}

// leaveThen wraps an isolation's started func so that it runs back in the
// plugin's mount namespace, where the cgroup files are.
func leaveThen(leave func() error, started func(int) error) func(int) error {
	return func(pid int) error {
		if err := leave(); err != nil {
			_ = started(0)
			return err
		}
		return started(pid)
	}
}

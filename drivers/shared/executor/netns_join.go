package executor

import (
	"errors"
	"fmt"
	"runtime"

	"golang.org/x/sys/unix"

	"github.com/appmesh/appmesh/drivers"
)

// joinNS is one namespace a task is started in: the file pinning it, its
// kind (CLONE_NEWNET, CLONE_NEWUTS) and the name of its /proc entry.
type joinNS struct {
	path, proc string
	kind       int
}

// taskNamespaces lists the bridge-mode allocation's namespaces the task
// joins: its network and, with a hostname, its UTS namespace.
func taskNamespaces(cfg *drivers.TaskConfig) []joinNS {
	if cfg == nil {
		return nil
	}
	var out []joinNS
	if cfg.NetNSPath != "" {
		out = append(out, joinNS{path: cfg.NetNSPath, proc: "net", kind: unix.CLONE_NEWNET})
	}
	if cfg.UTSNSPath != "" {
		out = append(out, joinNS{path: cfg.UTSNSPath, proc: "uts", kind: unix.CLONE_NEWUTS})
	}
	return out
}

// inNamespaces runs fn on a thread switched into the given namespaces, so
// a process forked by fn is born there: Linux has no clone flag to join an
// existing namespace, but a child inherits the namespaces of the thread
// that forked it. With none it runs fn as is.
func inNamespaces(nss []joinNS, fn func() error) error {
	if len(nss) == 0 {
		return fn()
	}
	runtime.LockOSThread()
	var back []func() error
	restore := func() error {
		var errs []error
		for i := len(back) - 1; i >= 0; i-- {
			errs = append(errs, back[i]())
		}
		return errors.Join(errs...)
	}
	finish := func(err error) error {
		if rerr := restore(); rerr != nil {
			// The thread stays locked, so the runtime ends it with its
			// goroutine instead of reusing it in the wrong namespace.
			return fmt.Errorf("returning to the executor's namespaces: %w", rerr)
		}
		runtime.UnlockOSThread()
		return err
	}
	for _, ns := range nss {
		orig, err := unix.Open(fmt.Sprintf("/proc/self/task/%d/ns/%s", unix.Gettid(), ns.proc), unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return finish(fmt.Errorf("opening the executor's %s namespace: %w", ns.proc, err))
		}
		defer unix.Close(orig)
		target, err := unix.Open(ns.path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return finish(fmt.Errorf("opening the allocation's %s namespace: %w", ns.proc, err))
		}
		err = unix.Setns(target, ns.kind)
		unix.Close(target)
		if err != nil {
			return finish(fmt.Errorf("joining the allocation's %s namespace: %w", ns.proc, err))
		}
		kind := ns.kind
		back = append(back, func() error { return unix.Setns(orig, kind) })
	}
	return finish(fn())
}

// execNamespaces are the namespaces a command exec'd into the task joins
// here: an isolated task's are entered with the rest of its namespaces
// (enterNamespaces), so only an unisolated (raw_exec) task needs them.
func (t *task) execNamespaces() []joinNS {
	if t.ns != nil {
		return nil
	}
	return taskNamespaces(t.cfg)
}

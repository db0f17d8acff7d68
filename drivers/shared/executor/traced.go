package executor

import (
	"fmt"
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"
)

// startInIsolation starts a process with start and hands its pid to started.
//
// When the isolation set sys.Ptrace (cgroup v1, which cannot start a process
// inside a cgroup), the child stops right after its execve, before running
// a single instruction of the task: it is moved into its cgroup while stopped
// and then let go, so no process of the task ever runs, or forks, outside it.
// ptrace requests must come from the thread that forked, hence the lock.
func startInIsolation(sys *syscall.SysProcAttr, started func(int) error, start func() (int, error)) (int, error) {
	if !sys.Ptrace {
		pid, err := start()
		if err != nil {
			started(0)
			return 0, err
		}
		return pid, started(pid)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	pid, err := start()
	if err != nil {
		started(0)
		return 0, err
	}
	if err := awaitExecStop(pid); err != nil {
		started(0)
		return pid, err
	}
	err = started(pid)
	if derr := unix.PtraceDetach(pid); derr != nil && err == nil {
		err = fmt.Errorf("releasing pid %d after moving it into its cgroup: %w", pid, derr)
	}
	return pid, err
}

// awaitExecStop waits for the SIGTRAP stop a traced child enters after
// execve. Only the stop is consumed; the exit status stays for Wait.
func awaitExecStop(pid int) error {
	for {
		var ws unix.WaitStatus
		_, err := unix.Wait4(pid, &ws, unix.WALL|unix.WUNTRACED, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("waiting for pid %d to stop after exec: %w", pid, err)
		}
		if ws.Stopped() {
			return nil
		}
		return fmt.Errorf("pid %d ended before it could be moved into its cgroup (status %v)", pid, ws)
	}
}

package executor

import (
	"syscall"

	"github.com/appmesh/appmesh/drivers"
)

// Isolation confines a task's processes beyond a process group. The exec
// driver's cgroups implement it; raw_exec has none.
//
// Prepare creates the task's isolation and may set fields of sys (on cgroup
// v2 UseCgroupFD/CgroupFD, so the child is born inside the cgroup). The
// returned started func is called exactly once: with the child's pid right
// after it started (cgroup v1 moves it in then), or with 0 when the start
// failed; it releases what Prepare opened. Join does the same for an extra
// process (ExecTask) in an existing task's isolation.
//
// Everything else is keyed by task id alone, so that a restarted plugin can
// kill, measure and clean up tasks it recovered.
type Isolation interface {
	Prepare(cfg *drivers.TaskConfig, sys *syscall.SysProcAttr) (started func(pid int) error, err error)
	Join(taskID string, sys *syscall.SysProcAttr) (started func(pid int) error, err error)
	// Kill SIGKILLs every process left in the task's isolation and returns
	// once they are gone.
	Kill(taskID string) error
	// OOMKilled reports whether the kernel killed a process of the task for
	// exceeding its memory limit.
	OOMKilled(taskID string) bool
	// Stats measures the task; nil (and no error) means the isolation
	// cannot, and the executor measures the process group from /proc.
	Stats(taskID string) (*drivers.TaskResourceUsage, error)
	// Cleanup kills what is left and removes the isolation.
	Cleanup(taskID string) error
}

// noIsolation is raw_exec's: the process group is the whole boundary.
type noIsolation struct{}

func noop(int) error { return nil }

func (noIsolation) Prepare(*drivers.TaskConfig, *syscall.SysProcAttr) (func(int) error, error) {
	return noop, nil
}
func (noIsolation) Join(string, *syscall.SysProcAttr) (func(int) error, error) { return noop, nil }
func (noIsolation) Kill(string) error                                          { return nil }
func (noIsolation) OOMKilled(string) bool                                      { return false }
func (noIsolation) Stats(string) (*drivers.TaskResourceUsage, error)           { return nil, nil }
func (noIsolation) Cleanup(string) error                                       { return nil }

package exec

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"github.com/appmesh/appmesh/drivers"
)

type sysAttr = *syscall.SysProcAttr

func syscallKill(pid int) error { return syscall.Kill(pid, syscall.SIGKILL) }

// cgroupIsolation puts each task in its own cgroup with its limits. It is
// the executor's Isolation for the exec driver.
type cgroupIsolation struct {
	be    cgroupBackend
	cores *coreSet
}

func newCgroupIsolation(opts cgroupOptions) (*cgroupIsolation, error) {
	be, err := detectBackend(opts)
	if err != nil {
		return nil, err
	}
	cores, err := newCoreSet(be)
	if err != nil {
		return nil, err
	}
	return &cgroupIsolation{be: be, cores: cores}, nil
}

// Prepare creates the task's cgroup before the process exists.
func (c *cgroupIsolation) Prepare(cfg *drivers.TaskConfig, sys *syscall.SysProcAttr) (func(int) error, error) {
	name := cgroupName(cfg.ID)
	// A cgroup left by a task with the same id (a crash before Destroy)
	// would carry its old processes and counters.
	if err := c.Cleanup(cfg.ID); err != nil {
		return nil, fmt.Errorf("removing stale cgroup: %w", err)
	}
	l := limitsOf(cfg.Resources)
	if err := c.be.check(l); err != nil {
		return nil, err
	}
	if l.cores > 0 {
		cpus, err := c.cores.reserve(name, l.cores)
		if err != nil {
			return nil, err
		}
		l.cpus = cpus
	}
	if err := c.be.create(name, l); err != nil {
		c.cores.release(name)
		return nil, fmt.Errorf("creating cgroup %s (%s): %w", name, c.be.version(), err)
	}
	return c.Join(cfg.ID, sys)
}

// Join lets a new process start in the task's cgroup.
func (c *cgroupIsolation) Join(taskID string, sys *syscall.SysProcAttr) (func(int) error, error) {
	return c.be.join(cgroupName(taskID), sys)
}

// Kill kills every process in the task's cgroup.
func (c *cgroupIsolation) Kill(taskID string) error { return c.be.kill(cgroupName(taskID)) }

// OOMKilled reports an OOM kill recorded in the task's cgroup.
func (c *cgroupIsolation) OOMKilled(taskID string) bool {
	n, err := c.be.oomKills(cgroupName(taskID))
	return err == nil && n > 0
}

// Stats reads the task's usage from its cgroup.
func (c *cgroupIsolation) Stats(taskID string) (*drivers.TaskResourceUsage, error) {
	return c.be.stats(cgroupName(taskID))
}

// Cleanup kills what is left in the cgroup and removes it; a cgroup that
// does not exist is not an error.
func (c *cgroupIsolation) Cleanup(taskID string) error {
	name := cgroupName(taskID)
	defer c.cores.release(name)
	if err := c.be.kill(name); err != nil {
		return err
	}
	if err := c.be.remove(name); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("removing cgroup %s: %w", name, err)
	}
	return nil
}

// Package exec is the exec driver: it runs a task's command as a chosen OS
// user in its own process group and its own cgroup, with the task's memory
// and CPU limits, through the shared executor.
//
// Each task gets the cgroup appmesh/<alloc id>-<task name>, created before
// the process starts (cgroup v2: the child is born in it with
// CLONE_INTO_CGROUP; v1: it is moved in right after start). `memory` is the
// hard limit, or the soft limit (v2 memory.low, v1 soft_limit_in_bytes) when
// `memory_max` is set, which is then the hard one; `cpu` (MHz) sets
// cpu.shares / cpu.weight; `cores` pins the task to that many reserved
// cores. A task killed for exceeding memory ends with OOMKilled. Stopping
// kills the whole cgroup; destroying removes it.
//
// Unless its config says isolation = "none", a task also gets its own PID
// namespace (a small init is PID 1) and its own root: the client's
// chroot_env read-only, its task and shared alloc dirs, /proc, a minimal
// /dev and a private /tmp (executor.buildRoot).
package exec

import (
	"context"

	"github.com/hashicorp/go-hclog"

	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/drivers/shared/executor"
)

// Name is the driver's name in a task's `driver` field.
const Name = "exec"

// Driver is the exec driver: the executor with cgroup isolation.
type Driver struct {
	*executor.Driver
	iso    *cgroupIsolation
	isoErr error
}

// New returns the exec driver. Without usable cgroups it still returns a
// driver, which fingerprints unhealthy and refuses to start tasks.
func New(logger hclog.Logger) drivers.Driver {
	iso, err := newCgroupIsolation(cgroupOptions{logger: logger})
	d := &Driver{iso: iso, isoErr: err}
	if err != nil {
		d.Driver = executor.NewDriver(Name, logger, refuse{err})
		return d
	}
	d.Driver = executor.NewDriver(Name, logger, iso)
	nsErr := executor.ProbeNamespaces()
	if nsErr != nil && logger != nil {
		logger.Warn("exec tasks cannot get their own namespaces here; only isolation = \"none\" tasks will start", "error", nsErr)
	}
	d.Driver.EnableNamespaces("", nsErr)
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	sweepStaleCgroups(iso.be, logger)
	if n := d.Driver.SweepNamespaceState(); n > 0 {
		logger.Info("removed the state of isolated tasks that ended unseen", "count", n)
	}
	return d
}

// Fingerprint adds the cgroup version, or reports why exec cannot run.
func (d *Driver) Fingerprint(ctx context.Context) (*drivers.Fingerprint, error) {
	if d.isoErr != nil {
		return &drivers.Fingerprint{HealthDescription: "cgroups unavailable: " + d.isoErr.Error()}, nil
	}
	fp, err := d.Driver.Fingerprint(ctx)
	if err != nil || !fp.Healthy {
		return fp, err
	}
	if err := d.iso.be.probe(); err != nil {
		// e.g. a container without --privileged: the cgroup fs is
		// read-only, and every task would fail to start.
		return &drivers.Fingerprint{HealthDescription: "cgroups not writable: " + err.Error()}, nil
	}
	fp.Attributes["driver.exec.cgroup"] = d.iso.be.version()
	// "chroot": tasks get their own root and PID namespace; "none": only
	// isolation = "none" tasks can start here.
	fp.Attributes["driver.exec.isolation"] = "chroot"
	if err := d.NamespacesError(); err != nil {
		fp.Attributes["driver.exec.isolation"] = "none"
		fp.HealthDescription = "healthy; tasks cannot get their own namespaces here: " + err.Error()
	}
	return fp, nil
}

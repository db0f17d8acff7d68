// Package exec is the exec driver: it runs a task's command as a chosen OS
// user in its own process group, through the shared executor.
//
// Resource isolation comes from cgroups, which plug in as the executor's
// Isolation: this package will pass an Isolation whose Prepare creates the
// task's cgroup (memory and CPU limits from TaskConfig.Resources) and starts
// the child inside it, and whose Cleanup kills and removes the cgroup. Until
// then exec runs tasks exactly as raw_exec does.
package exec

import (
	"github.com/hashicorp/go-hclog"

	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/drivers/shared/executor"
)

// Name is the driver's name in a task's `driver` field.
const Name = "exec"

// New returns the exec driver.
func New(logger hclog.Logger) drivers.Driver {
	return executor.NewDriver(Name, logger, nil)
}

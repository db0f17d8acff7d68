// Package rawexec is the raw_exec driver: it runs a task's command as a plain
// process group on the host, with no resource isolation.
package rawexec

import (
	"github.com/hashicorp/go-hclog"

	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/drivers/shared/executor"
)

// Name is the driver's name in a task's `driver` field.
const Name = "raw_exec"

// New returns the raw_exec driver. It can run in-process (tests) or behind
// a plugin process via drivers.Serve.
func New(logger hclog.Logger) drivers.Driver {
	return executor.NewDriver(Name, logger, nil)
}

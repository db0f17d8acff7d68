package builtin

import (
	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/drivers/docker"
	"github.com/appmesh/appmesh/drivers/exec"
	"github.com/appmesh/appmesh/drivers/rawexec"
	"github.com/appmesh/appmesh/drivers/shared/executor"
)

// ConfigSchema returns the `config` schema of the built-in driver called
// name, or nil for a driver that is not built in (a third-party plugin,
// whose schema only its node knows).
func ConfigSchema(name string) *drivers.ConfigSchema {
	switch name {
	case exec.Name:
		return executor.ExecConfigSchema
	case rawexec.Name:
		return executor.ConfigSchema
	case docker.Name:
		return docker.ConfigSchema
	}
	return nil
}

package exec

import (
	"fmt"
	"syscall"

	"github.com/appmesh/appmesh/drivers"
)

// refuse is the isolation of an exec driver without cgroups: running a task
// unconfined when the job asked for limits would be silently wrong.
type refuse struct{ err error }

func (r refuse) Prepare(*drivers.TaskConfig, *syscall.SysProcAttr) (func(int) error, error) {
	return nil, fmt.Errorf("exec driver: cgroups unavailable: %w", r.err)
}
func (r refuse) Join(string, *syscall.SysProcAttr) (func(int) error, error) {
	return nil, fmt.Errorf("exec driver: cgroups unavailable: %w", r.err)
}
func (refuse) Kill(string) error                                { return nil }
func (refuse) OOMKilled(string) bool                            { return false }
func (refuse) Stats(string) (*drivers.TaskResourceUsage, error) { return nil, nil }
func (refuse) Cleanup(string) error                             { return nil }

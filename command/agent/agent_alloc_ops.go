package agent

import (
	"errors"
	"time"

	"github.com/appmesh/appmesh/drivers"
)

// errNoClient answers allocation operations on an agent without a client.
var errNoClient = &httpError{code: 400, msg: "this agent runs no client: send allocation operations (signal, restart, exec, stats) to the agent of the node that runs the allocation"}

// SignalAlloc implements AllocOps through the local client.
func (a *Agent) SignalAlloc(allocID, task, signal string) error {
	if a.client == nil {
		return errNoClient
	}
	return a.client.SignalAlloc(allocID, task, signal)
}

// RestartAlloc implements AllocOps through the local client.
func (a *Agent) RestartAlloc(allocID, task string) error {
	if a.client == nil {
		return errNoClient
	}
	return a.client.RestartAlloc(allocID, task)
}

// ExecAlloc implements AllocOps through the local client.
func (a *Agent) ExecAlloc(allocID, task string, cmd []string, timeout time.Duration) (*drivers.ExecResult, error) {
	if a.client == nil {
		return nil, errNoClient
	}
	return a.client.ExecAlloc(allocID, task, cmd, timeout)
}

// AllocStats implements AllocOps through the local client.
func (a *Agent) AllocStats(allocID, task string) (map[string]*drivers.TaskResourceUsage, error) {
	if a.client == nil {
		return nil, errNoClient
	}
	return a.client.AllocStats(allocID, task)
}

var _ AllocOps = (*Agent)(nil)

var errNoAllocOps = errors.New("this agent does not support allocation operations")

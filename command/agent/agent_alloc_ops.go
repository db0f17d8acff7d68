package agent

import (
	"context"
	"errors"
	"time"

	"github.com/appmesh/appmesh/drivers"
)

// errNoClient answers allocation operations on an agent without a client.
var errNoClient = &httpError{code: 400, msg: "this agent runs no client: send allocation operations (signal, restart, exec, stats) to the agent of the node that runs the allocation"}

// SignalAlloc signals an allocation's task(s) on whichever node runs it.
func (a *Agent) SignalAlloc(ctx context.Context, allocID, task, signal string) error {
	return a.relayAllocOp(ctx, opSignal, allocOpArgs{AllocID: allocID, Task: task, Signal: signal}, nil)
}

// RestartAlloc restarts an allocation's task(s) on whichever node runs it.
func (a *Agent) RestartAlloc(ctx context.Context, allocID, task string) error {
	return a.relayAllocOp(ctx, opRestart, allocOpArgs{AllocID: allocID, Task: task}, nil)
}

// ExecAlloc runs a command in a task's context on whichever node runs it.
func (a *Agent) ExecAlloc(ctx context.Context, allocID, task string, cmd []string, timeout time.Duration) (*drivers.ExecResult, error) {
	var out drivers.ExecResult
	if err := a.relayAllocOp(ctx, opExec, allocOpArgs{AllocID: allocID, Task: task, Cmd: cmd, Timeout: timeout}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// AllocStats reads an allocation's resource usage on whichever node runs it.
func (a *Agent) AllocStats(ctx context.Context, allocID, task string) (map[string]*drivers.TaskResourceUsage, error) {
	out := map[string]*drivers.TaskResourceUsage{}
	if err := a.relayAllocOp(ctx, opStats, allocOpArgs{AllocID: allocID, Task: task}, &out); err != nil {
		return nil, err
	}
	return out, nil
}

var _ AllocOps = (*Agent)(nil)

var errNoAllocOps = errors.New("this agent does not support allocation operations")

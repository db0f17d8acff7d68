package client

import (
	"fmt"
	"time"

	"github.com/appmesh/appmesh/client/allocrunner"
	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/structs"
)

// localRunner finds the runner of an allocation on this node. The error
// says that only local allocations are reachable: forwarding to the node
// that runs an allocation is not there yet.
func (c *Client) localRunner(allocID string) (*allocrunner.AllocRunner, error) {
	if ar := c.runner(allocID); ar != nil {
		return ar, nil
	}
	return nil, fmt.Errorf("allocation %q is not running on this agent's node (%s); send the request to the agent of the node that runs it: %w",
		allocID, structs.ShortID(c.nodeID), structs.ErrNotFound)
}

// SignalAlloc sends a signal to one task of a local allocation, or to all
// its tasks when task is empty.
func (c *Client) SignalAlloc(allocID, task, signal string) error {
	ar, err := c.localRunner(allocID)
	if err != nil {
		return err
	}
	if signal == "" {
		signal = "SIGKILL"
	}
	return ar.Signal(task, signal)
}

// RestartAlloc restarts one task of a local allocation in place (or all of
// them when task is empty), outside the restart policy.
func (c *Client) RestartAlloc(allocID, task string) error {
	ar, err := c.localRunner(allocID)
	if err != nil {
		return err
	}
	return ar.Restart(task, "requested through the API")
}

// ExecAlloc runs cmd in a task of a local allocation and returns its
// output and exit code.
func (c *Client) ExecAlloc(allocID, task string, cmd []string, timeout time.Duration) (*drivers.ExecResult, error) {
	ar, err := c.localRunner(allocID)
	if err != nil {
		return nil, err
	}
	return ar.Exec(task, cmd, timeout)
}

// AllocStats returns the CPU and memory usage of the running tasks of a
// local allocation (one task when task is set).
func (c *Client) AllocStats(allocID, task string) (map[string]*drivers.TaskResourceUsage, error) {
	ar, err := c.localRunner(allocID)
	if err != nil {
		return nil, err
	}
	return ar.Stats(task)
}

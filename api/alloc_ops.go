package api

import (
	"net/http"
	"net/url"
	"time"

	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/structs"
)

// AllocExecResult is the outcome of Exec.
type AllocExecResult struct {
	Stdout   string `json:"stdout"`
	Stderr   string `json:"stderr"`
	ExitCode int    `json:"exit_code"`
}

// Signal sends a signal ("SIGHUP"; empty: SIGKILL) to one task, or to
// every task when task is empty. The agent must run the allocation's node.
func (a *Allocations) Signal(allocID, task, signal string) error {
	in := map[string]string{"task": task, "signal": signal}
	_, err := a.c.write(http.MethodPost, "/v1/client/allocation/"+escapeID(allocID)+"/signal", nil, in, &struct{}{})
	return err
}

// Restart restarts one task, or every task when task is empty, in place.
func (a *Allocations) Restart(allocID, task string) error {
	in := map[string]string{"task": task}
	_, err := a.c.write(http.MethodPost, "/v1/client/allocation/"+escapeID(allocID)+"/restart", nil, in, &struct{}{})
	return err
}

// Exec runs cmd in a task and returns its output (non-interactive).
func (a *Allocations) Exec(allocID, task string, cmd []string, timeout time.Duration) (*AllocExecResult, error) {
	in := map[string]any{"task": task, "command": cmd}
	if timeout > 0 {
		in["timeout"] = timeout.String()
	}
	var out AllocExecResult
	if _, err := a.c.write(http.MethodPost, "/v1/client/allocation/"+escapeID(allocID)+"/exec", nil, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Stats returns CPU and memory usage per running task.
func (a *Allocations) Stats(allocID, task string) (map[string]*drivers.TaskResourceUsage, error) {
	params := url.Values{}
	if task != "" {
		params.Set("task", task)
	}
	var out map[string]*drivers.TaskResourceUsage
	if _, err := a.c.query("/v1/client/allocation/"+escapeID(allocID)+"/stats", params, nil, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// Stop stops an allocation; the scheduler places a replacement.
func (a *Allocations) Stop(allocID string) (*structs.AllocStopResponse, error) {
	var out structs.AllocStopResponse
	if _, err := a.c.write(http.MethodPut, "/v1/allocation/"+escapeID(allocID)+"/stop", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

package agent

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"time"

	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/jobspec"
	"github.com/appmesh/appmesh/structs"
)

// AllocOps is what the allocation operation endpoints need from the
// backend: the local client's allocations. In this phase they reach only
// allocations of this agent's own node (forwarding to the right node is
// the cluster layer's next step); the error says so for any other.
// A Backend that does not implement it answers 501.
type AllocOps interface {
	SignalAlloc(ctx context.Context, allocID, task, signal string) error
	RestartAlloc(ctx context.Context, allocID, task string) error
	ExecAlloc(ctx context.Context, allocID, task string, cmd []string, timeout time.Duration) (*drivers.ExecResult, error)
	AllocStats(ctx context.Context, allocID, task string) (map[string]*drivers.TaskResourceUsage, error)
}

// maxExecTimeout bounds a non-interactive exec.
const maxExecTimeout = 10 * time.Minute

// AllocSignalRequest is the body of POST .../signal.
type AllocSignalRequest struct {
	Task   string `json:"task,omitempty"`
	Signal string `json:"signal,omitempty"`
}

// AllocRestartRequest is the (optional) body of POST .../restart.
type AllocRestartRequest struct {
	Task string `json:"task,omitempty"`
}

// AllocExecRequest is the body of POST .../exec.
type AllocExecRequest struct {
	Task    string           `json:"task,omitempty"`
	Command []string         `json:"command"`
	Timeout structs.Duration `json:"timeout,omitempty"`
}

// AllocExecResponse is the outcome of an exec, output as text.
type AllocExecResponse struct {
	Stdout   string `json:"stdout"`
	Stderr   string `json:"stderr"`
	ExitCode int    `json:"exit_code"`
}

func (s *HTTPServer) allocOps() (AllocOps, error) {
	ops, ok := s.backend.(AllocOps)
	if !ok {
		return nil, &httpError{code: http.StatusNotImplemented, msg: errNoAllocOps.Error()}
	}
	return ops, nil
}

// POST /v1/client/allocation/<id>/signal {"task", "signal"}.
func (s *HTTPServer) allocSignal(w http.ResponseWriter, r *http.Request) (any, error) {
	ops, err := s.allocOps()
	if err != nil {
		return nil, err
	}
	var req AllocSignalRequest
	if err := decodeOptionalBody(w, r, &req); err != nil {
		return nil, err
	}
	if err := ops.SignalAlloc(r.Context(), r.PathValue("id"), req.Task, req.Signal); err != nil {
		return nil, err
	}
	return map[string]any{}, nil
}

// POST /v1/client/allocation/<id>/restart [{"task"}].
func (s *HTTPServer) allocRestart(w http.ResponseWriter, r *http.Request) (any, error) {
	ops, err := s.allocOps()
	if err != nil {
		return nil, err
	}
	var req AllocRestartRequest
	if err := decodeOptionalBody(w, r, &req); err != nil {
		return nil, err
	}
	if err := ops.RestartAlloc(r.Context(), r.PathValue("id"), req.Task); err != nil {
		return nil, err
	}
	return map[string]any{}, nil
}

// POST /v1/client/allocation/<id>/exec {"task", "command": [...], "timeout"}.
func (s *HTTPServer) allocExec(w http.ResponseWriter, r *http.Request) (any, error) {
	ops, err := s.allocOps()
	if err != nil {
		return nil, err
	}
	var req AllocExecRequest
	if err := decodeBody(w, r, &req); err != nil {
		return nil, err
	}
	if len(req.Command) == 0 || req.Command[0] == "" {
		return nil, badRequest("missing command: give the program and its arguments as a list")
	}
	timeout := req.Timeout.Std()
	if timeout <= 0 || timeout > maxExecTimeout {
		timeout = maxExecTimeout
	}
	res, err := ops.ExecAlloc(r.Context(), r.PathValue("id"), req.Task, req.Command, timeout)
	if err != nil {
		return nil, err
	}
	return &AllocExecResponse{Stdout: string(res.Stdout), Stderr: string(res.Stderr), ExitCode: res.ExitCode}, nil
}

// GET /v1/client/allocation/<id>/stats[?task=] → task name → usage.
func (s *HTTPServer) allocStats(w http.ResponseWriter, r *http.Request) (any, error) {
	ops, err := s.allocOps()
	if err != nil {
		return nil, err
	}
	return ops.AllocStats(r.Context(), r.PathValue("id"), r.URL.Query().Get("task"))
}

// PUT /v1/allocation/<id>/stop → {"eval_id"}: the servers stop the
// allocation and the scheduler replaces it.
func (s *HTTPServer) allocStop(w http.ResponseWriter, r *http.Request) (any, error) {
	args := structs.AllocStopRequest{AllocID: r.PathValue("id")}
	args.Namespace = r.URL.Query().Get("namespace")
	var out structs.AllocStopResponse
	if err := s.rpc(r, structs.AllocStopRPC, &args, &out); err != nil {
		return nil, err
	}
	setWriteMeta(w, &out.WriteMeta)
	return &out, nil
}

// decodeOptionalBody is decodeBody for endpoints whose body may be empty.
func decodeOptionalBody(w http.ResponseWriter, r *http.Request, v any) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	data, err := io.ReadAll(r.Body)
	if err != nil {
		return badRequest("cannot read request body: %v", err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	if err := jobspec.StrictDecodeJSON("request body", data, v); err != nil {
		return badRequest("%s", err.Error())
	}
	return nil
}

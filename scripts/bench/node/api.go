package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// A tiny client of the agent's HTTP API. It is written against the
// documented JSON (snake_case keys), not the product's Go packages, so that
// the harness measures what any HTTP user sees and builds even when product
// internals move.

type apiClient struct {
	base string // http://127.0.0.1:port
	hc   *http.Client
}

func newAPI(httpAddr string) *apiClient {
	return &apiClient{
		base: "http://" + httpAddr,
		hc: &http.Client{Transport: &http.Transport{
			MaxIdleConnsPerHost: 64,
			IdleConnTimeout:     30 * time.Second,
		}},
	}
}

// allocStub is the part of an allocation the harness reads.
type allocStub struct {
	ID            string `json:"id"`
	EvalID        string `json:"eval_id"`
	DesiredStatus string `json:"desired_status"`
	ClientStatus  string `json:"client_status"`
	ClientDesc    string `json:"client_description"`
	TaskStates    map[string]struct {
		State  string `json:"state"`
		Failed bool   `json:"failed"`
		Events []struct {
			Type    string `json:"type"`
			Message string `json:"message"`
		} `json:"events"`
	} `json:"task_states"`
}

// groupSummary counts a group's allocations by client status.
type groupSummary struct {
	Queued   int `json:"queued"`
	Starting int `json:"starting"`
	Running  int `json:"running"`
	Complete int `json:"complete"`
	Failed   int `json:"failed"`
	Lost     int `json:"lost"`
}

type jobStub struct {
	ID      string                   `json:"id"`
	Status  string                   `json:"status"`
	Summary map[string]*groupSummary `json:"summary"`
}

type node struct {
	ID        string `json:"id"`
	Status    string `json:"status"`
	Resources struct {
		CPU    int `json:"cpu"`
		Memory int `json:"memory"`
	} `json:"resources"`
	Drivers map[string]struct {
		Detected bool `json:"detected"`
		Healthy  bool `json:"healthy"`
	} `json:"drivers"`
}

// apiError is a non-2xx answer.
type apiError struct {
	Code int
	Msg  string
}

func (e *apiError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.Code, e.Msg) }

// do sends a request and decodes a 2xx JSON answer into out (if not nil).
// It returns the X-Appmesh-Index header.
func (c *apiClient) do(ctx context.Context, method, path string, body, out any) (uint64, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error string `json:"error"`
		}
		msg := string(bytes.TrimSpace(data))
		if json.Unmarshal(data, &e) == nil && e.Error != "" {
			msg = e.Error
		}
		return 0, &apiError{Code: resp.StatusCode, Msg: msg}
	}
	idx, _ := strconv.ParseUint(resp.Header.Get("X-Appmesh-Index"), 10, 64)
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return idx, fmt.Errorf("%s %s: decode answer: %w", method, path, err)
		}
	}
	return idx, nil
}

// registerJob sends PUT /v1/jobs {"job": job} and returns the write index.
func (c *apiClient) registerJob(ctx context.Context, job map[string]any) (uint64, error) {
	var out struct {
		EvalID string `json:"eval_id"`
		Index  uint64 `json:"index"`
	}
	idx, err := c.do(ctx, http.MethodPut, "/v1/jobs", map[string]any{"job": job}, &out)
	if err != nil {
		return 0, err
	}
	return max(idx, out.Index), nil
}

// stopJob sends DELETE /v1/job/<id>.
func (c *apiClient) stopJob(ctx context.Context, id string) error {
	_, err := c.do(ctx, http.MethodDelete, "/v1/job/"+url.PathEscape(id), nil, nil)
	return err
}

func blockingQuery(index uint64, wait time.Duration) string {
	return fmt.Sprintf("index=%d&wait=%s", index, wait)
}

// jobAllocs is a blocking query on GET /v1/job/<id>/allocations.
func (c *apiClient) jobAllocs(ctx context.Context, id string, index uint64, wait time.Duration) ([]allocStub, uint64, error) {
	var out []allocStub
	idx, err := c.do(ctx, http.MethodGet,
		"/v1/job/"+url.PathEscape(id)+"/allocations?"+blockingQuery(index, wait), nil, &out)
	return out, idx, err
}

// jobSummary is a blocking query on GET /v1/jobs?prefix=<id>, whose summary
// counts allocations by status: far smaller than the allocation list when a
// job has a thousand of them.
func (c *apiClient) jobSummary(ctx context.Context, id string, index uint64, wait time.Duration) (groupSummary, uint64, error) {
	var out []jobStub
	idx, err := c.do(ctx, http.MethodGet,
		"/v1/jobs?prefix="+url.QueryEscape(id)+"&"+blockingQuery(index, wait), nil, &out)
	if err != nil {
		return groupSummary{}, 0, err
	}
	var sum groupSummary
	for _, j := range out {
		if j.ID != id {
			continue
		}
		for _, g := range j.Summary {
			sum.Queued += g.Queued
			sum.Starting += g.Starting
			sum.Running += g.Running
			sum.Complete += g.Complete
			sum.Failed += g.Failed
			sum.Lost += g.Lost
		}
	}
	return sum, idx, nil
}

// jobIDs lists the registered jobs that are not stopped yet.
func (c *apiClient) liveJobIDs(ctx context.Context) ([]string, error) {
	var out []struct {
		ID   string `json:"id"`
		Stop bool   `json:"stop"`
	}
	if _, err := c.do(ctx, http.MethodGet, "/v1/jobs", nil, &out); err != nil {
		return nil, err
	}
	var ids []string
	for _, j := range out {
		if !j.Stop {
			ids = append(ids, j.ID)
		}
	}
	return ids, nil
}

// leader returns GET /v1/status/leader: the leader's RPC address, or "".
func (c *apiClient) leader(ctx context.Context) (string, error) {
	var out string
	_, err := c.do(ctx, http.MethodGet, "/v1/status/leader", nil, &out)
	return out, err
}

// peers returns GET /v1/status/peers.
func (c *apiClient) peers(ctx context.Context) ([]string, error) {
	var out []string
	_, err := c.do(ctx, http.MethodGet, "/v1/status/peers", nil, &out)
	return out, err
}

// nodes returns GET /v1/nodes, then each node in full.
func (c *apiClient) nodes(ctx context.Context) ([]node, error) {
	var list []node
	if _, err := c.do(ctx, http.MethodGet, "/v1/nodes", nil, &list); err != nil {
		return nil, err
	}
	for i := range list {
		if _, err := c.do(ctx, http.MethodGet, "/v1/node/"+url.PathEscape(list[i].ID), nil, &list[i]); err != nil {
			return nil, err
		}
	}
	return list, nil
}

// sleepJob is a service job of count exec tasks running `sleep <arg>`; arg
// is unique to the job so that its processes can be found in /proc.
func sleepJob(id, sleepPath, arg string, count, cpu, memMB int) map[string]any {
	return map[string]any{
		"id":   id,
		"type": "service",
		"groups": []any{map[string]any{
			"name":  "g",
			"count": count,
			"tasks": []any{map[string]any{
				"name":      "sleep",
				"driver":    "exec",
				"config":    map[string]any{"command": sleepPath, "args": []string{arg}},
				"resources": map[string]any{"cpu": cpu, "memory": memMB},
			}},
		}},
	}
}

// sleepJobHCL is the same job as an HCL file, for the CLI.
func sleepJobHCL(id, sleepPath, arg string, count, cpu, memMB int) string {
	return fmt.Sprintf(`job %q {
  type = "service"
  group "g" {
    count = %d
    task "sleep" {
      driver = "exec"
      config {
        command = %q
        args    = [%q]
      }
      resources {
        cpu    = %d
        memory = %d
      }
    }
  }
}
`, id, count, sleepPath, arg, cpu, memMB)
}

// allocProblem describes a failed allocation, with its last task events.
func allocProblem(a allocStub) string {
	msg := fmt.Sprintf("allocation %s is %s", a.ID, a.ClientStatus)
	if a.ClientDesc != "" {
		msg += " (" + a.ClientDesc + ")"
	}
	for name, ts := range a.TaskStates {
		if n := len(ts.Events); n > 0 {
			e := ts.Events[n-1]
			msg += fmt.Sprintf("; task %s: %s %s", name, e.Type, e.Message)
		}
	}
	return msg
}

package cluster

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/appmesh/appmesh/internal/testutil"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// waitTimeout bounds every wait for a cluster condition. The conditions
// normally hold within a second or two (a node going down takes its
// heartbeat TTL plus grace, about 12 s); the bound only has to be short
// enough to give an answer, never tight enough to turn a slow machine into
// a failure.
const waitTimeout = 30 * time.Second

// nodeDownTimeout bounds the wait for a killed client's node to be marked
// down: heartbeat TTL (10 s for a small cluster) plus grace, and slack.
// Each new leader restarts every node's heartbeat window, so on a loaded
// machine where Raft changes leader a few times (seen with mTLS at a load
// average of 50: 49.6 s to mark a killed client down) the wait is longer.
const nodeDownTimeout = 3 * time.Minute

// The JSON shapes the tests read, a subset of the HTTP API's.
type (
	member struct {
		Name    string `json:"name"`
		Addr    string `json:"addr"`
		RPCAddr string `json:"rpc_addr"`
		Status  string `json:"status"`
		Leader  bool   `json:"leader"`
	}
	raftPeer struct {
		ID      string `json:"id"`
		Address string `json:"address"`
		Node    string `json:"node"`
		Leader  bool   `json:"leader"`
		Voter   bool   `json:"voter"`
	}
	raftConfig struct {
		Servers []raftPeer `json:"servers"`
	}
	driverInfo struct {
		Detected          bool   `json:"detected"`
		Healthy           bool   `json:"healthy"`
		HealthDescription string `json:"health_description"`
	}
	node struct {
		ID        string                `json:"id"`
		Name      string                `json:"name"`
		Status    string                `json:"status"`
		HTTPAddr  string                `json:"http_addr"`
		Drivers   map[string]driverInfo `json:"drivers"`
		Resources struct {
			CPU    int `json:"cpu"`
			Memory int `json:"memory"`
		} `json:"resources"`
	}
	taskState struct {
		State    string `json:"state"`
		Failed   bool   `json:"failed"`
		ExitCode int    `json:"exit_code"`
	}
	alloc struct {
		ID            string               `json:"id"`
		Name          string               `json:"name"`
		JobID         string               `json:"job_id"`
		NodeID        string               `json:"node_id"`
		NodeName      string               `json:"node_name"`
		DesiredStatus string               `json:"desired_status"`
		ClientStatus  string               `json:"client_status"`
		TaskStates    map[string]taskState `json:"task_states"`
	}
	jobStub struct {
		ID     string `json:"id"`
		Type   string `json:"type"`
		Status string `json:"status"`
	}
	jobSpec struct {
		ID     string `json:"id"`
		Type   string `json:"type"`
		Groups []struct {
			Name  string `json:"name"`
			Count int    `json:"count"`
			Tasks []struct {
				Name   string         `json:"name"`
				Config map[string]any `json:"config"`
			} `json:"tasks"`
		} `json:"groups"`
	}
)

// httpError is a non-2xx answer of the HTTP API.
type httpError struct {
	Method, URL string
	Code        int
	Body        string
}

func (e *httpError) Error() string {
	return fmt.Sprintf("%s %s: HTTP %d: %s", e.Method, e.URL, e.Code, strings.TrimSpace(e.Body))
}

// apiClient talks to one agent's HTTP API.
type apiClient struct {
	base string // http://host:port
	hc   *http.Client

	mu    sync.Mutex
	token string // X-Appmesh-Token, in secure mode
}

func (c *apiClient) setToken(t string) {
	c.mu.Lock()
	c.token = t
	c.mu.Unlock()
}

func (c *apiClient) getToken() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.token
}

func newAPI(base string) *apiClient {
	return &apiClient{base: base, hc: &http.Client{Timeout: 30 * time.Second}}
}

// do sends a request with a JSON body (if any) and decodes a 2xx JSON
// answer into out (if non-nil).
func (c *apiClient) do(method, path string, body io.Reader, out any) error {
	return c.doType(method, path, "application/json", body, out)
}

// doType is do with the body's Content-Type; the agent refuses a body
// without one (see command/agent/http_guard.go).
func (c *apiClient) doType(method, path, contentType string, body io.Reader, out any) error {
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	if tok := c.getToken(); tok != "" {
		req.Header.Set("X-Appmesh-Token", tok)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s %s: reading the answer: %w", method, c.base+path, err)
	}
	if resp.StatusCode/100 != 2 {
		return &httpError{Method: method, URL: c.base + path, Code: resp.StatusCode, Body: string(data)}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: decoding %q: %w", method, c.base+path, truncate(string(data), 300), err)
	}
	return nil
}

func (c *apiClient) get(path string, out any) error { return c.do(http.MethodGet, path, nil, out) }

func (c *apiClient) leader() (string, error) {
	var l string
	err := c.get("/v1/status/leader", &l)
	return l, err
}

func (c *apiClient) members() ([]member, error) {
	var m []member
	err := c.get("/v1/agent/members", &m)
	return m, err
}

func (c *apiClient) raftConfiguration() (raftConfig, error) {
	var rc raftConfig
	err := c.get("/v1/operator/raft/configuration", &rc)
	return rc, err
}

func (c *apiClient) nodes() ([]node, error) {
	var n []node
	err := c.get("/v1/nodes", &n)
	return n, err
}

func (c *apiClient) node(id string) (node, error) {
	var n node
	err := c.get("/v1/node/"+id, &n)
	return n, err
}

// jobs lists the jobs; stale reads this agent's own copy of the state
// instead of asking the leader.
func (c *apiClient) jobs(stale bool) ([]jobStub, error) {
	var j []jobStub
	path := "/v1/jobs"
	if stale {
		path += "?stale"
	}
	err := c.get(path, &j)
	return j, err
}

func (c *apiClient) job(id string) (jobSpec, error) {
	var j jobSpec
	err := c.get("/v1/job/"+id, &j)
	return j, err
}

func (c *apiClient) jobAllocs(id string) ([]alloc, error) {
	var a []alloc
	err := c.get("/v1/job/"+id+"/allocations", &a)
	return a, err
}

// register submits a job (PUT /v1/jobs) and reports success only on a 2xx
// answer: an acknowledged job.
func (c *apiClient) register(job map[string]any) error {
	body, err := json.Marshal(map[string]any{"job": job})
	if err != nil {
		return err
	}
	return c.do(http.MethodPut, "/v1/jobs", bytes.NewReader(body), nil)
}

// execJob is a job whose tasks run `command args...` with the exec driver.
func execJob(id, typ string, count, memoryMB int, command string, args ...string) map[string]any {
	if args == nil {
		args = []string{}
	}
	return map[string]any{
		"id":   id,
		"type": typ,
		"groups": []any{map[string]any{
			"name":  "g",
			"count": count,
			"tasks": []any{map[string]any{
				"name":      "t",
				"driver":    "exec",
				"config":    map[string]any{"command": command, "args": args},
				"resources": map[string]any{"cpu": 50, "memory": memoryMB},
			}},
		}},
	}
}

// hostJob sets isolation = "none" on the exec tasks of job: for the
// clients in containers, which may not create namespaces and whose image
// holds no chroot_env (only /appmesh and /sleeper).
func hostJob(job map[string]any) map[string]any {
	for _, g := range job["groups"].([]any) {
		for _, t := range g.(map[string]any)["tasks"].([]any) {
			t.(map[string]any)["config"].(map[string]any)["isolation"] = "none"
		}
	}
	return job
}

// sleepJob is a service job of count tasks running `/bin/sleep secs`.
func sleepJob(id string, count, memoryMB, secs int) map[string]any {
	return execJob(id, "service", count, memoryMB, "/bin/sleep", fmt.Sprint(secs))
}

// waitFor polls cond until it returns nil or waitTimeout passes, then fails
// the test with what and the last error, and the tail of every log dump
// gives.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() error, dump func() string) {
	t.Helper()
	testutil.Wait{Timeout: timeout, Dump: dump}.ForErr(t, what, cond)
}

// running returns the allocations that the servers see running, and
// checks that no allocation is failed.
func running(allocs []alloc) []alloc {
	var out []alloc
	for _, a := range allocs {
		if a.DesiredStatus == "run" && a.ClientStatus == "running" {
			out = append(out, a)
		}
	}
	return out
}

// allocSummary is a short, sorted description of allocations for messages.
func allocSummary(allocs []alloc) string {
	var parts []string
	for _, a := range allocs {
		parts = append(parts, fmt.Sprintf("%s@%s:%s/%s", short(a.ID), a.NodeName, a.DesiredStatus, a.ClientStatus))
	}
	sort.Strings(parts)
	return "[" + strings.Join(parts, " ") + "]"
}

func short(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// jobIDs returns the set of job IDs in a listing.
func jobIDs(jobs []jobStub) map[string]bool {
	m := make(map[string]bool, len(jobs))
	for _, j := range jobs {
		m[j.ID] = true
	}
	return m
}

// httpSnapshotSave writes GET /v1/operator/snapshot to path.
func httpSnapshotSave(c *apiClient, path string) error {
	req, err := http.NewRequest(http.MethodGet, c.base+"/v1/operator/snapshot", nil)
	if err != nil {
		return err
	}
	if tok := c.getToken(); tok != "" {
		req.Header.Set("X-Appmesh-Token", tok)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("reading the snapshot: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return &httpError{Method: "GET", URL: c.base + "/v1/operator/snapshot", Code: resp.StatusCode, Body: string(data)}
	}
	if len(data) == 0 {
		return fmt.Errorf("empty snapshot")
	}
	return os.WriteFile(path, data, 0o600)
}

// httpSnapshotRestore sends the file at path to PUT /v1/operator/snapshot.
func httpSnapshotRestore(c *apiClient, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return c.doType(http.MethodPut, "/v1/operator/snapshot", "application/octet-stream", bytes.NewReader(data), nil)
}

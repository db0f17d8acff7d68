package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Scenario 7: the HTTP API contract of DESIGN.md.
func TestAPIContract(t *testing.T) {
	t.Parallel()
	a := startAgent(t, agentOptions{dev: true})

	// The leader is the RPC address as a JSON string.
	var leader string
	a.getJSON("/v1/status/leader", &leader)
	if want := fmt.Sprintf("127.0.0.1:%d", a.ports.RPC); leader != want {
		t.Errorf("GET /v1/status/leader = %q, want %q", leader, want)
	}
	var peers []string
	a.getJSON("/v1/status/peers", &peers)
	if len(peers) != 1 || peers[0] != leader {
		t.Errorf("GET /v1/status/peers = %q, want [%q]", peers, leader)
	}

	var self map[string]any
	r := a.getJSON("/v1/agent/self", &self)
	if len(self) == 0 {
		t.Errorf("GET /v1/agent/self: want a non-empty JSON object, got %s", r.body)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("GET /v1/agent/self: Content-Type %q, want application/json", ct)
	}

	// Reads carry X-Appmesh-Index.
	for _, path := range []string{"/v1/jobs", "/v1/nodes", "/v1/allocations", "/v1/evaluations"} {
		r := a.request(http.MethodGet, path, nil)
		if r.status != http.StatusOK {
			t.Errorf("GET %s: status %d: %s", path, r.status, r.body)
			continue
		}
		if r.header.Get("X-Appmesh-Index") == "" || r.index() == 0 {
			t.Errorf("GET %s: X-Appmesh-Index = %q, want a positive index", path, r.header.Get("X-Appmesh-Index"))
		}
		var list []json.RawMessage
		if err := json.Unmarshal(r.body, &list); err != nil {
			t.Errorf("GET %s: want a JSON list, got %s", path, r.body)
		}
	}

	// A blocking query returns when a job is registered meanwhile.
	var jobs []jobStub
	r = a.getJSON("/v1/jobs", &jobs)
	start := r.index()
	if start == 0 {
		a.fatalf("GET /v1/jobs: no X-Appmesh-Index to block on")
	}
	regErr := make(chan error, 1)
	go func() {
		time.Sleep(200 * time.Millisecond)
		resp, err := a.do(http.MethodPut, "/v1/jobs", []byte(fmt.Sprintf(
			`{"job": {"id": "blocker", "type": "batch", "groups": [{"name": "g", "tasks": [
			  {"name": "t", "driver": "exec", "config": {"command": "/bin/sh", "args": ["-c", "echo unblocked"]}}]}]}}`)))
		if err == nil && resp.status != http.StatusOK {
			err = fmt.Errorf("status %d: %s", resp.status, resp.body)
		}
		regErr <- err
	}()
	began := time.Now()
	r = a.getJSON(fmt.Sprintf("/v1/jobs?index=%d&wait=5s", start), &jobs)
	took := time.Since(began)
	if err := <-regErr; err != nil {
		a.fatalf("PUT /v1/jobs during the blocking query: %v", err)
	}
	t.Logf("blocking GET /v1/jobs?index=%d&wait=5s returned index %d after %s", start, r.index(), took.Round(time.Millisecond))
	if r.index() <= start {
		t.Errorf("blocking GET /v1/jobs?index=%d: returned index %d, want greater", start, r.index())
	}
	found := false
	for _, j := range jobs {
		found = found || j.ID == "blocker"
	}
	if !found {
		t.Errorf("blocking GET /v1/jobs?index=%d did not return the job registered meanwhile: %s", start, r.body)
	}

	// Errors are JSON with fitting codes.
	for _, c := range []struct {
		method, path string
		status       int
	}{
		{http.MethodGet, "/v1/no/such/route", http.StatusNotFound},
		{http.MethodGet, "/nope", http.StatusNotFound},
		{http.MethodGet, "/v1/job/missing", http.StatusNotFound},
		{http.MethodGet, "/v1/allocation/00000000-0000-0000-0000-000000000000", http.StatusNotFound},
		{http.MethodGet, "/v1/jobs?index=abc", http.StatusBadRequest},
	} {
		r := a.request(c.method, c.path, nil)
		if r.status != c.status {
			t.Errorf("%s %s: status %d, want %d: %s", c.method, c.path, r.status, c.status, r.body)
			continue
		}
		a.errorMessage(c.method+" "+c.path, r)
	}

	// -json output parses as JSON.
	st := a.cli("job status", "-json", "blocker")
	if st.code != 0 {
		a.fatalf("job status -json blocker: want exit 0\n%s", st)
	}
	var status struct {
		Job *jobInfo `json:"job"`
	}
	if err := json.Unmarshal([]byte(st.stdout), &status); err != nil {
		t.Errorf("job status -json blocker: output is not JSON: %v\n%s", err, st)
	} else if status.Job == nil || status.Job.ID != "blocker" {
		t.Errorf("job status -json blocker: want {\"job\": {\"id\": \"blocker\", ...}, ...}, got %s", st.stdout)
	}
	list := a.cli("job status", "-json")
	var stubs []jobStub
	if list.code != 0 || json.Unmarshal([]byte(list.stdout), &stubs) != nil || len(stubs) != 1 {
		t.Errorf("job status -json (list): want exit 0 and a JSON list of 1 job\n%s", list)
	}
	missing := a.cli("job status", "missing")
	if missing.code != 1 || !strings.Contains(missing.stderr, "missing") {
		t.Errorf("job status missing: want exit 1 naming the job\n%s", missing)
	}
}

// Scenario 8: node status and version.
func TestNodeStatusAndVersion(t *testing.T) {
	t.Parallel()
	a := startAgent(t, agentOptions{dev: true})
	name := "e2e-" + sanitize(t.Name())

	r := a.cli("node status")
	if r.code != 0 {
		a.fatalf("node status: want exit 0\n%s", r)
	}
	row := regexp.MustCompile(`(?m)^\S+\s+` + regexp.QuoteMeta(name) + `\s.*\bready\s*$`)
	if !row.MatchString(r.stdout) {
		t.Errorf("node status does not list node %q as ready:\n%s", name, r)
	}
	var nodes []node
	j := a.cli("node status", "-json")
	if j.code != 0 || json.Unmarshal([]byte(j.stdout), &nodes) != nil || len(nodes) != 1 ||
		nodes[0].Name != name || nodes[0].Status != "ready" {
		t.Errorf("node status -json: want one ready node %q\n%s", name, j)
	}

	v := runCLI(t, "version")
	if v.code != 0 || !regexp.MustCompile(`appmesh v\d+\.\d+\.\d+`).MatchString(v.stdout) {
		t.Errorf("version: want exit 0 and \"appmesh vX.Y.Z\"\n%s", v)
	}
	var self struct {
		Version string `json:"version"`
	}
	a.getJSON("/v1/agent/self", &self)
	if line := strings.TrimSpace(v.stdout); self.Version != "" && line != self.Version {
		t.Errorf("version prints %q, the agent reports %q", line, self.Version)
	}
}

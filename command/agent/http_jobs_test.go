package agent

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/appmesh/appmesh/structs"
)

const validJobBody = `{"job": {"id": "hello", "type": "service", "groups": [{"name": "web", "count": 2, "tasks": [
  {"name": "server", "driver": "exec",
   "config": {"command": "/bin/sh", "args": ["-c", "echo hello; exec sleep 3600"]},
   "resources": {"cpu": 100, "memory": 64}}]}]}, "enforce_index": true, "job_modify_index": 7,
  "idempotency_token": "deploy-7"}`

func onRegister(b *fakeBackend) {
	b.on(structs.JobRegisterRPC, func(args, reply any) error {
		out := reply.(*structs.JobRegisterResponse)
		out.EvalID = "eval-1"
		out.JobModifyIndex = 12
		out.Index = 12
		return nil
	})
}

func TestJobRegister(t *testing.T) {
	for _, method := range []string{"PUT", "POST"} {
		b, h := newTestServer(t)
		onRegister(b)
		rec := do(t, h, method, "/v1/jobs", validJobBody)
		wantStatus(t, rec, 200)
		var out structs.JobRegisterResponse
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || out.EvalID != "eval-1" {
			t.Fatalf("%s: body %s (%v)", method, rec.Body.String(), err)
		}
		if got := rec.Header().Get(indexHeader); got != "12" {
			t.Errorf("%s: index header = %q, want 12", method, got)
		}
		args := b.lastArgs(t, structs.JobRegisterRPC).(*structs.JobRegisterRequest)
		if !args.EnforceIndex || args.JobModifyIndex != 7 || args.IdempotencyToken != "deploy-7" {
			t.Errorf("enforce index or idempotency token not passed: %+v", args)
		}
		// Canonicalized before the RPC: defaults are filled in.
		if args.Job.Namespace != structs.DefaultNamespace || args.Job.Priority != structs.DefaultPriority {
			t.Errorf("job not canonicalized: namespace %q priority %d", args.Job.Namespace, args.Job.Priority)
		}
	}
}

// A job that names no namespace goes to the request's ?namespace=, as in
// Nomad; a job that names one keeps it; "*" (every namespace, for lists)
// is refused for a write, and nothing reaches the servers.
func TestJobRegisterNamespaceFromQuery(t *testing.T) {
	for _, tc := range []struct{ name, path, body, want string }{
		{"query fills an unnamed job", "/v1/jobs?namespace=prod", validJobBody, "prod"},
		{"the job's own field wins", "/v1/jobs?namespace=prod",
			strings.Replace(validJobBody, `"id": "hello",`, `"id": "hello", "namespace": "dev",`, 1), "dev"},
		{"neither: default", "/v1/jobs", validJobBody, structs.DefaultNamespace},
	} {
		b, h := newTestServer(t)
		onRegister(b)
		wantStatus(t, do(t, h, "PUT", tc.path, tc.body), 200)
		args := b.lastArgs(t, structs.JobRegisterRPC).(*structs.JobRegisterRequest)
		if args.Job.Namespace != tc.want || args.Namespace != tc.want {
			t.Errorf("%s: job in namespace %q (request %q), want %q", tc.name, args.Job.Namespace, args.Namespace, tc.want)
		}
	}
	b, h := newTestServer(t)
	onRegister(b)
	rec := do(t, h, "PUT", "/v1/jobs?namespace=*", validJobBody)
	wantStatus(t, rec, 400)
	if msg := errorOf(t, rec); !strings.Contains(msg, "a job is written to one") {
		t.Errorf("namespace=* on a write: %q", msg)
	}
	if calls := b.recorded(); len(calls) != 0 {
		t.Errorf("a write to namespace * reached the backend: %v", calls)
	}
}

func TestJobRegisterBadInput(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		code       int
		want       []string
	}{
		{"unknown field", "{\"job\": {\"id\": \"a\",\n \"bogus_field\": 1}}", 400, []string{"bogus_field", ":2"}},
		{"invalid job", `{"job": {"id": "a", "groups": [{"name": "g", "tasks": [{"name": "t"}]}]}}`, 400,
			[]string{`group "g": task "t": driver is required`}},
		{"no job", `{"enforce_index": true}`, 400, []string{`"job"`}},
		{"empty body", "", 400, []string{"empty"}},
		{"not JSON", "job hello {}", 400, []string{"request body"}},
		{"too large", `{"job": {"id": "` + strings.Repeat("a", 10<<20) + `"}}`, 413,
			[]string{"request body too large: limit is 4 MiB"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, h := newTestServer(t)
			onRegister(b)
			rec := do(t, h, "PUT", "/v1/jobs", tc.body)
			wantStatus(t, rec, tc.code)
			msg := errorOf(t, rec)
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q does not contain %q", msg, w)
				}
			}
			if calls := b.recorded(); len(calls) != 0 {
				t.Errorf("bad input reached the backend: %v", calls)
			}
		})
	}
}

func TestJobList(t *testing.T) {
	b, h := newTestServer(t)
	b.on(structs.JobListRPC, func(args, reply any) error {
		out := reply.(*structs.JobListResponse)
		out.Jobs = []*structs.JobListStub{{ID: "web", Status: "running",
			Summary: map[string]*structs.GroupSummary{"g": {Running: 2}}}}
		out.Index, out.KnownLeader = 42, true
		return nil
	})
	rec := do(t, h, "GET", "/v1/jobs?prefix=we", "")
	wantStatus(t, rec, 200)
	if rec.Header().Get(indexHeader) != "42" || rec.Header().Get(knownLeaderHeader) != "true" {
		t.Errorf("headers = %v", rec.Header())
	}
	var out []*structs.JobListStub
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || len(out) != 1 || out[0].Summary["g"].Running != 2 {
		t.Fatalf("body %s (%v)", rec.Body.String(), err)
	}
	if p := b.lastArgs(t, structs.JobListRPC).(*structs.JobListRequest).Prefix; p != "we" {
		t.Errorf("prefix = %q", p)
	}

	b.on(structs.JobListRPC, func(args, reply any) error { return nil })
	rec = do(t, h, "GET", "/v1/jobs", "")
	if got := strings.TrimSpace(rec.Body.String()); got != "[]" {
		t.Errorf("empty list body = %s, want []", got)
	}
}

// jobBackend answers job reads for any ID and records which ID was asked.
func jobBackend(b *fakeBackend) {
	b.on(structs.JobGetJobRPC, func(args, reply any) error {
		id := args.(*structs.JobSpecificRequest).JobID
		if id == "missing" {
			return nil // a nil job means it does not exist
		}
		out := reply.(*structs.SingleJobResponse)
		out.Job = &structs.Job{ID: id}
		out.Index = 9
		return nil
	})
	b.on(structs.JobAllocationsRPC, func(args, reply any) error {
		out := reply.(*structs.JobAllocationsResponse)
		out.Allocations = []*structs.AllocListStub{{ID: "a1", JobID: args.(*structs.JobSpecificRequest).JobID}}
		out.Index = 10
		return nil
	})
	b.on(structs.JobEvaluationsRPC, func(args, reply any) error {
		out := reply.(*structs.JobEvaluationsResponse)
		out.Evaluations = []*structs.Evaluation{{ID: "e1", JobID: args.(*structs.JobSpecificRequest).JobID}}
		out.Index = 11
		return nil
	})
}

func TestJobGetAndSubresources(t *testing.T) {
	b, h := newTestServer(t)
	jobBackend(b)
	for _, tc := range []struct {
		path, method, wantID, wantKey string
	}{
		{"/v1/job/web", structs.JobGetJobRPC, "web", `"id":"web"`},
		{"/v1/job/backup/periodic-1700000000", structs.JobGetJobRPC, "backup/periodic-1700000000", `"id":"backup/periodic-1700000000"`},
		{"/v1/job/backup/periodic-1700000000/allocations?all=true", structs.JobAllocationsRPC, "backup/periodic-1700000000", `"id":"a1"`},
		{"/v1/job/web/evaluations", structs.JobEvaluationsRPC, "web", `"id":"e1"`},
		// An escaped slash keeps a job named "x/allocations" one ID.
		{"/v1/job/x%2Fallocations", structs.JobGetJobRPC, "x/allocations", `"id":"x/allocations"`},
		{"/v1/job/allocations", structs.JobGetJobRPC, "allocations", `"id":"allocations"`},
	} {
		rec := do(t, h, "GET", tc.path, "")
		wantStatus(t, rec, 200)
		if !strings.Contains(rec.Body.String(), tc.wantKey) {
			t.Errorf("%s: body %s lacks %s", tc.path, rec.Body.String(), tc.wantKey)
		}
		if rec.Header().Get(indexHeader) == "" {
			t.Errorf("%s: no index header", tc.path)
		}
		args := b.lastArgs(t, tc.method).(*structs.JobSpecificRequest)
		if args.JobID != tc.wantID {
			t.Errorf("%s: job ID = %q, want %q", tc.path, args.JobID, tc.wantID)
		}
	}
	if !b.lastArgs(t, structs.JobAllocationsRPC).(*structs.JobSpecificRequest).All {
		t.Error("?all=true not passed through")
	}
}

func TestJobGetNotFound(t *testing.T) {
	b, h := newTestServer(t)
	jobBackend(b)
	rec := do(t, h, "GET", "/v1/job/missing", "")
	wantStatus(t, rec, http.StatusNotFound)
	if msg := errorOf(t, rec); msg != `job "missing" not found` {
		t.Errorf("message = %q", msg)
	}
	rec = do(t, h, "GET", "/v1/job/", "")
	wantStatus(t, rec, http.StatusBadRequest)
}

func TestJobDeregister(t *testing.T) {
	b, h := newTestServer(t)
	b.on(structs.JobDeregisterRPC, func(args, reply any) error {
		out := reply.(*structs.JobDeregisterResponse)
		out.EvalID, out.Index = "eval-2", 20
		return nil
	})
	rec := do(t, h, "DELETE", "/v1/job/a/periodic-1?purge=true", "")
	wantStatus(t, rec, 200)
	if !strings.Contains(rec.Body.String(), `"eval_id":"eval-2"`) || rec.Header().Get(indexHeader) != "20" {
		t.Fatalf("body %s headers %v", rec.Body.String(), rec.Header())
	}
	args := b.lastArgs(t, structs.JobDeregisterRPC).(*structs.JobDeregisterRequest)
	if args.JobID != "a/periodic-1" || !args.Purge {
		t.Errorf("args = %+v", args)
	}
	rec = do(t, h, "DELETE", "/v1/job/web?purge=maybe", "")
	wantStatus(t, rec, 400)
}

// TestJobRegisterTooLargeOverNetwork checks that a real client gets the 413
// even though the server stops reading the body half-way.
func TestJobRegisterTooLargeOverNetwork(t *testing.T) {
	b, h := newTestServer(t)
	onRegister(b)
	srv := httptest.NewServer(h)
	defer srv.Close()
	body := `{"job": {"id": "` + strings.Repeat("a", 10<<20) + `"}}`
	req, _ := http.NewRequest(http.MethodPut, srv.URL+"/v1/jobs", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(data), "limit is 4 MiB") {
		t.Fatalf("status %d body %s", resp.StatusCode, data)
	}
}

package agent

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/appmesh/appmesh/structs"
)

func TestJobDispatchHTTP(t *testing.T) {
	b, h := newTestServer(t)
	b.on(structs.JobDispatchRPC, func(args, reply any) error {
		out := reply.(*structs.JobDispatchResponse)
		out.DispatchedJobID = "render/dispatch-1-abcd1234"
		out.Index = 9
		return nil
	})
	// "aGk=" is base64 of "hi"; the job ID contains an escaped '/'.
	rec := do(t, h, "PUT", "/v1/job/team%2Frender/dispatch", `{"meta": {"scene": "intro"}, "payload": "aGk=", "idempotency_token": "take-1"}`)
	wantStatus(t, rec, 200)
	var out structs.JobDispatchResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || out.DispatchedJobID != "render/dispatch-1-abcd1234" {
		t.Fatalf("body %s (%v)", rec.Body.String(), err)
	}
	args := b.lastArgs(t, structs.JobDispatchRPC).(*structs.JobDispatchRequest)
	if args.JobID != "team/render" || string(args.Payload) != "hi" || args.Meta["scene"] != "intro" || args.IdempotencyToken != "take-1" {
		t.Fatalf("dispatch args %+v", args)
	}
	big := `{"payload": "` + strings.Repeat("A", 24*1024) + `"}`
	wantStatus(t, do(t, h, "PUT", "/v1/job/render/dispatch", big), 413)
}

func TestJobPeriodicHTTP(t *testing.T) {
	b, h := newTestServer(t)
	b.on(structs.JobPeriodicForceRPC, func(args, reply any) error {
		reply.(*structs.PeriodicForceResponse).ChildJobID = "backup/periodic-5"
		return nil
	})
	b.on(structs.JobPeriodicStatusRPC, func(args, reply any) error {
		reply.(*structs.PeriodicStatusResponse).Status = &structs.PeriodicStatus{JobID: "backup", NextLaunch: "2026-01-01T00:00:00Z"}
		return nil
	})
	rec := do(t, h, "PUT", "/v1/job/backup/periodic/force", "")
	wantStatus(t, rec, 200)
	if !strings.Contains(rec.Body.String(), `"child_job_id":"backup/periodic-5"`) {
		t.Fatalf("force body %s", rec.Body.String())
	}
	if got := b.lastArgs(t, structs.JobPeriodicForceRPC).(*structs.PeriodicForceRequest).JobID; got != "backup" {
		t.Fatalf("force job id %q", got)
	}
	rec = do(t, h, "GET", "/v1/job/backup/periodic", "")
	wantStatus(t, rec, 200)
	if !strings.Contains(rec.Body.String(), `"next_launch":"2026-01-01T00:00:00Z"`) {
		t.Fatalf("periodic body %s", rec.Body.String())
	}
}

package server

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
)

func TestServer_RegisterJobPlacesAllocations(t *testing.T) {
	s := testServer(t, nil)
	registerNode(t, s, testNode("n1", 4000, 4096))
	reply := registerJob(t, s, testJob("web", 3, 256))
	if reply.EvalID == "" || reply.JobModifyIndex == 0 {
		t.Fatalf("register reply missing eval or index: %+v", reply)
	}
	waitFor(t, "3 allocations placed", func() bool { return liveAllocs(jobAllocs(t, s, "web")) == 3 })
	waitFor(t, "eval complete", func() bool { return getEval(t, s, reply.EvalID).Status == structs.EvalStatusComplete })

	allocs := jobAllocs(t, s, "web")
	names := map[string]bool{}
	for _, a := range allocs {
		if a.NodeName != "n1" || a.ClientStatus != structs.AllocClientPending {
			t.Fatalf("unexpected allocation: %s", describe(allocs))
		}
		names[a.Name] = true
	}
	for _, want := range []string{"web.web[0]", "web.web[1]", "web.web[2]"} {
		if !names[want] {
			t.Fatalf("missing allocation %s in %s", want, describe(allocs))
		}
	}
}

func TestServer_SameSpecKeepsVersion_ChangedSpecBumpsIt(t *testing.T) {
	s := testServer(t, nil)
	registerNode(t, s, testNode("n1", 4000, 4096))
	job := testJob("api", 1, 128)
	first := registerJob(t, s, job)
	again := registerJob(t, s, testJob("api", 1, 128))
	if again.JobModifyIndex != first.JobModifyIndex {
		t.Fatalf("identical re-register changed the job modify index: %d -> %d", first.JobModifyIndex, again.JobModifyIndex)
	}
	registerJob(t, s, testJob("api", 1, 256))
	var reply structs.SingleJobResponse
	if err := s.RPC(structs.JobGetJobRPC, &structs.JobSpecificRequest{JobID: "api"}, &reply); err != nil {
		t.Fatal(err)
	}
	if reply.Job.Version != 1 {
		t.Fatalf("version after a spec change = %d, want 1", reply.Job.Version)
	}
}

func TestServer_RegisterRejectsInvalidJobAndWritesNothing(t *testing.T) {
	s := testServer(t, nil)
	job := testJob("bad", -1, 128)
	job.Groups[0].Tasks[0].Driver = ""
	var reply structs.JobRegisterResponse
	err := s.RPC(structs.JobRegisterRPC, &structs.JobRegisterRequest{Job: job}, &reply)
	if err == nil || !structs.IsValidation(err) {
		t.Fatalf("want a validation error, got %v", err)
	}
	for _, want := range []string{`count must not be negative`, `group "web": task "server": driver is required`} {
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("error %q does not mention %q", err, want)
		}
	}
	jobs, _ := s.State().Jobs(nil)
	evals, _ := s.State().Evals(nil)
	if len(jobs) != 0 || len(evals) != 0 {
		t.Fatalf("invalid job left %d jobs and %d evals in the state", len(jobs), len(evals))
	}
}

func TestServer_EnforceIndexConflict(t *testing.T) {
	s := testServer(t, nil)
	first := registerJob(t, s, testJob("cas", 1, 64))
	var reply structs.JobRegisterResponse
	err := s.RPC(structs.JobRegisterRPC, &structs.JobRegisterRequest{
		Job: testJob("cas", 2, 64), EnforceIndex: true, JobModifyIndex: first.JobModifyIndex + 100,
	}, &reply)
	if !errors.Is(err, structs.ErrConflict) && (err == nil || !strings.Contains(err.Error(), "conflict")) {
		t.Fatalf("want a conflict, got %v", err)
	}
	if err := s.RPC(structs.JobRegisterRPC, &structs.JobRegisterRequest{
		Job: testJob("cas", 2, 64), EnforceIndex: true, JobModifyIndex: first.JobModifyIndex,
	}, &reply); err != nil {
		t.Fatalf("register with the right index: %v", err)
	}
}

func TestServer_UnplaceableJobBlocksThenPlacesWhenCapacityArrives(t *testing.T) {
	s := testServer(t, nil)
	registerNode(t, s, testNode("small", 4000, 512))
	reply := registerJob(t, s, testJob("big", 1, 2048))

	var blocked *structs.Evaluation
	waitFor(t, "blocked evaluation", func() bool {
		ev := getEval(t, s, reply.EvalID)
		if ev == nil || ev.BlockedEval == "" {
			return false
		}
		blocked = getEval(t, s, ev.BlockedEval)
		return blocked != nil
	})
	m := blocked.FailedTGAllocs["web"]
	if m == nil || m.DimensionExhausted["memory"] != 1 || m.NodesExhausted != 1 {
		t.Fatalf("failed placement metrics do not say memory on 1 node: %+v", m)
	}
	if blocked.QueuedAllocations["web"] != 1 {
		t.Fatalf("queued allocations = %v", blocked.QueuedAllocations)
	}
	if n := liveAllocs(jobAllocs(t, s, "big")); n != 0 {
		t.Fatalf("%d allocations placed on a node without room", n)
	}

	registerNode(t, s, testNode("large", 4000, 8192))
	waitFor(t, "allocation placed on the new node", func() bool {
		allocs := jobAllocs(t, s, "big")
		return liveAllocs(allocs) == 1 && allocs[0].NodeName == "large"
	})
}

func TestServer_JobStopStopsAllocations(t *testing.T) {
	s := testServer(t, nil)
	registerNode(t, s, testNode("n1", 4000, 4096))
	registerJob(t, s, testJob("stopme", 2, 128))
	waitFor(t, "placed", func() bool { return liveAllocs(jobAllocs(t, s, "stopme")) == 2 })

	var reply structs.JobDeregisterResponse
	if err := s.RPC(structs.JobDeregisterRPC, &structs.JobDeregisterRequest{JobID: "stopme"}, &reply); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "allocations desired stop", func() bool {
		for _, a := range jobAllocs(t, s, "stopme") {
			if a.DesiredStatus != structs.AllocDesiredStop {
				return false
			}
		}
		return true
	})
	err := s.RPC(structs.JobDeregisterRPC, &structs.JobDeregisterRequest{JobID: "missing"}, &reply)
	if !structs.IsNotFound(err) {
		t.Fatalf("deregister of a missing job: want not found, got %v", err)
	}
}

func TestServer_MissedHeartbeatMarksNodeDownAndReplacesWork(t *testing.T) {
	s := testServer(t, func(c *Config) { c.HeartbeatTTL = 300 * time.Millisecond })
	n1 := testNode("n1", 4000, 4096)
	registerNode(t, s, n1)
	registerJob(t, s, testJob("moving", 1, 128))
	waitFor(t, "placed on n1", func() bool { return liveAllocs(jobAllocs(t, s, "moving")) == 1 })

	// A second node keeps heartbeating; n1 goes silent.
	n2 := testNode("n2", 4000, 4096)
	registerNode(t, s, n2)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
				var r structs.NodeUpdateResponse
				_ = s.RPC(structs.NodeHeartbeatRPC, &structs.NodeHeartbeatRequest{NodeID: n2.ID, SecretID: testSecret(n2.ID)}, &r)
			}
		}
	}()
	waitFor(t, "n1 down", func() bool {
		n, _ := s.State().NodeByID(nil, n1.ID)
		return n.Status == structs.NodeStatusDown
	})
	waitFor(t, "work replaced on n2", func() bool {
		allocs := jobAllocs(t, s, "moving")
		lost, onN2 := 0, 0
		for _, a := range allocs {
			if a.ClientStatus == structs.AllocClientLost {
				lost++
			}
			if a.NodeName == "n2" && a.DesiredStatus == structs.AllocDesiredRun {
				onN2++
			}
		}
		return lost == 1 && onN2 == 1
	})

	// A heartbeat from n1 brings it back to ready.
	var r structs.NodeUpdateResponse
	if err := s.RPC(structs.NodeHeartbeatRPC, &structs.NodeHeartbeatRequest{NodeID: n1.ID, SecretID: testSecret(n1.ID)}, &r); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.State().NodeByID(nil, n1.ID); n.Status != structs.NodeStatusReady {
		t.Fatalf("n1 status after heartbeat %q", n.Status)
	}
}

func TestServer_BlockingQueryWakesOnChange(t *testing.T) {
	s := testServer(t, nil)
	var first structs.JobListResponse
	if err := s.RPC(structs.JobListRPC, &structs.JobListRequest{}, &first); err != nil {
		t.Fatal(err)
	}
	done := make(chan structs.JobListResponse, 1)
	go func() {
		var reply structs.JobListResponse
		req := &structs.JobListRequest{QueryOptions: structs.QueryOptions{MinQueryIndex: first.Index, MaxQueryTime: time.Minute}}
		if err := s.RPC(structs.JobListRPC, req, &reply); err != nil {
			t.Error(err)
		}
		done <- reply
	}()
	time.Sleep(50 * time.Millisecond)
	registerJob(t, s, testJob("wake", 0, 64))
	select {
	case reply := <-done:
		if reply.Index <= first.Index || len(reply.Jobs) != 1 {
			t.Fatalf("blocking query returned index %d (from %d) with %d jobs", reply.Index, first.Index, len(reply.Jobs))
		}
	case <-time.After(20 * time.Second):
		t.Fatal("blocking query did not wake on a job registration")
	}
}

func TestServer_DurableAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	mk := func() *Server {
		return testServer(t, func(c *Config) { c.DevMode = false; c.DataDir = dir; c.RPCAddr = addr })
	}
	s := mk()
	node := testNode("n1", 4000, 4096)
	registerNode(t, s, node)
	registerJob(t, s, testJob("durable", 2, 128))
	waitFor(t, "placed", func() bool { return liveAllocs(jobAllocs(t, s, "durable")) == 2 })
	before := jobAllocs(t, s, "durable")
	if err := s.Shutdown(); err != nil {
		t.Fatal(err)
	}

	s2 := mk()
	var reply structs.SingleJobResponse
	if err := s2.RPC(structs.JobGetJobRPC, &structs.JobSpecificRequest{JobID: "durable"}, &reply); err != nil {
		t.Fatal(err)
	}
	if reply.Job == nil || reply.Job.Groups[0].Count != 2 {
		t.Fatalf("job after restart: %+v", reply.Job)
	}
	after := jobAllocs(t, s2, "durable")
	if len(after) != len(before) {
		t.Fatalf("allocations before %s, after %s", describe(before), describe(after))
	}
	ids := map[string]bool{}
	for _, a := range before {
		ids[a.ID] = true
	}
	for _, a := range after {
		if !ids[a.ID] {
			t.Fatalf("allocation %s appeared after restart", a.ID)
		}
	}
}

// A client update without an allocation ID is refused before anything is
// read or written (a nil entry used to panic the server).
func TestServer_UpdateAllocRejectsMissingIDs(t *testing.T) {
	s := testServer(t, nil)
	for _, allocs := range [][]*structs.AllocStatusUpdate{{nil}, {{ClientStatus: structs.AllocClientFailed}}} {
		var r structs.GenericResponse
		err := s.RPC(structs.NodeUpdateAllocRPC, &structs.AllocUpdateRequest{NodeID: "n1", Allocs: allocs}, &r)
		if err == nil || !strings.Contains(err.Error(), "no allocation ID") {
			t.Fatalf("update %v: got %v, want an invalid-argument error", allocs, err)
		}
	}
}

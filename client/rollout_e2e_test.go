package client

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/drivers/rawexec"
	"github.com/appmesh/appmesh/server"
	"github.com/appmesh/appmesh/structs"
)

// End to end, in one process: a real server (Raft, broker, scheduler, plan
// applier, rollout watcher) and a real client running raw_exec tasks.

func startRealServer(t *testing.T) *server.Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	srv, err := server.NewServer(&server.Config{NodeName: "e2e", DevMode: true, RPCAddr: addr, Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("start server: %v", err)
	}
	t.Cleanup(func() { _ = srv.Shutdown() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.WaitForLeader(ctx); err != nil {
		t.Fatal(err)
	}
	return srv
}

func startRealClient(t *testing.T, srv *server.Server) *Client {
	t.Helper()
	logger := testLogger(t)
	c, err := New(&Config{NodeName: "e2e-node", DataDir: t.TempDir(), RawExecEnabled: true, Logger: logger, RPC: srv,
		Drivers:             NewInProcessDriverManager(map[string]drivers.Driver{rawexec.Name: rawexec.New(logger)}),
		KillTasksOnShutdown: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Shutdown() })
	return c
}

func register(t *testing.T, srv *server.Server, job *structs.Job) {
	t.Helper()
	var reply structs.JobRegisterResponse
	if err := srv.RPC("Job.Register", &structs.JobRegisterRequest{Job: job}, &reply); err != nil {
		t.Fatalf("register %s: %v", job.ID, err)
	}
}

func currentJob(t *testing.T, srv *server.Server, id string) *structs.Job {
	job, err := srv.State().JobByID(nil, structs.DefaultNamespace, id)
	if err != nil {
		t.Fatal(err)
	}
	return job
}

func jobAllocs(t *testing.T, srv *server.Server, id string) []*structs.Allocation {
	allocs, err := srv.State().AllocsByJob(nil, structs.DefaultNamespace, id)
	if err != nil {
		t.Fatal(err)
	}
	return allocs
}

func waitLong(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// checkedJob runs two copies of a task whose script check exits with
// checkExit; updates roll one at a time and revert automatically.
func checkedJob(checkExit string) *structs.Job {
	job := shJob("web", "exec sleep 600")
	job.Type = structs.JobTypeService
	job.Groups[0].Count = 2
	job.Update = &structs.UpdateStrategy{MaxParallel: 1, MinHealthyTime: structs.Duration(200 * time.Millisecond),
		HealthyDeadline: structs.Duration(2 * time.Second), AutoRevert: true}
	job.Groups[0].Tasks[0].Checks = []*structs.Check{{Name: "selftest", Type: structs.CheckTypeScript,
		Command: "/bin/sh", Args: []string{"-c", "exit " + checkExit}, Interval: structs.Duration(100 * time.Millisecond)}}
	return job
}

// A rolling update to a version whose check fails halts after the first
// replacement, is marked failed and reverted to the last stable version,
// which then rolls out and becomes stable.
func TestE2E_RollingUpdateAutoRevert(t *testing.T) {
	srv := startRealServer(t)
	startRealClient(t, srv)

	register(t, srv, checkedJob("0"))
	waitLong(t, "version 0 stable", func() bool { return currentJob(t, srv, "web").Stable })

	register(t, srv, checkedJob("1"))
	waitLong(t, "the revert to a version 2", func() bool { return currentJob(t, srv, "web").Version == 2 })
	v1, err := srv.State().JobByIDAndVersion(nil, structs.DefaultNamespace, "web", 1)
	if err != nil {
		t.Fatal(err)
	}
	if v1.Stable || !strings.Contains(v1.UpdateFailure, "not healthy within healthy_deadline 2s") ||
		!strings.Contains(v1.UpdateFailure, "reverting to stable version 0") {
		t.Fatalf("version 1: stable %v, update_failure %q", v1.Stable, v1.UpdateFailure)
	}
	v2 := currentJob(t, srv, "web")
	if got := v2.Groups[0].Tasks[0].Checks[0].Args[1]; got != "exit 0" {
		t.Fatalf("version 2 runs check %q, want version 0's", got)
	}
	waitLong(t, "version 2 stable", func() bool { return currentJob(t, srv, "web").Stable })

	placedV1 := 0
	for _, a := range jobAllocs(t, srv, "web") {
		if a.JobVersion == 1 {
			placedV1++
		}
		if !a.TerminalStatus() && (a.JobVersion != 2 || a.Healthy == nil || !*a.Healthy) {
			t.Fatalf("live allocation %s at version %d, healthy %v after the revert", a.Name, a.JobVersion, a.Healthy)
		}
	}
	if placedV1 != 1 {
		t.Fatalf("%d allocations of the failing version were placed, want 1 (the update halts)", placedV1)
	}
}

// A service task that fails for good is rescheduled after its delay, with
// its history, and not again once the attempts are used up.
func TestE2E_FailedServiceIsRescheduled(t *testing.T) {
	srv := startRealServer(t)
	startRealClient(t, srv)

	job := shJob("crash", "exit 3")
	job.Type = structs.JobTypeService
	attempts := 1
	job.Reschedule = &structs.ReschedulePolicy{Attempts: &attempts, Interval: structs.Duration(time.Hour),
		Delay: structs.Duration(time.Second), DelayFunction: structs.DelayFunctionConstant}
	register(t, srv, job)

	var first, second *structs.Allocation
	waitLong(t, "a rescheduled allocation that failed too", func() bool {
		first, second = nil, nil
		for _, a := range jobAllocs(t, srv, "crash") {
			if a.PreviousAllocation == "" {
				first = a
			} else {
				second = a
			}
		}
		return second != nil && second.ClientStatus == structs.AllocClientFailed
	})
	if first.ClientStatus != structs.AllocClientFailed || second.PreviousAllocation != first.ID {
		t.Fatalf("first %s (%s), second's previous %s", first.ID, first.ClientStatus, second.PreviousAllocation)
	}
	tr := second.RescheduleTracker
	if tr == nil || len(tr.Events) != 1 || tr.Events[0].PrevAllocID != first.ID {
		t.Fatalf("reschedule tracker = %+v", tr)
	}
	if waited := time.Duration(second.CreateTime - first.FailedAt()); waited < time.Second {
		t.Fatalf("rescheduled %s after the failure, before the 1s delay", waited)
	}
	// The one attempt is used up: the evaluation of the second failure
	// completes without a placement or a delayed evaluation.
	waitLong(t, "the evaluation of the second failure", func() bool {
		evals, _ := srv.State().EvalsByJob(nil, structs.DefaultNamespace, "crash")
		for _, e := range evals {
			if e.TriggeredBy == "alloc-failure" && e.CreateTime >= second.CreateTime && e.Status == structs.EvalStatusComplete {
				return e.NextEval == ""
			}
		}
		return false
	})
	if n := len(jobAllocs(t, srv, "crash")); n != 2 {
		t.Fatalf("%d allocations, want 2: no reschedule beyond the attempts", n)
	}
}

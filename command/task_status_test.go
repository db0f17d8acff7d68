package command

import (
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
)

func TestAllocStatus_HealthAndAppMeshFields(t *testing.T) {
	f, ui := newFakeCluster(t)
	id := "dddd1111-0000-4000-8000-000000000001"
	next := time.Date(2030, 1, 2, 9, 0, 0, 0, time.UTC).UnixNano()
	unhealthy := false
	f.write(func(index uint64) {
		code := 3
		f.allocs[id] = &structs.Allocation{ID: id, JobID: "hello", TaskGroup: "web", NodeName: "node1",
			ClientStatus: structs.AllocClientRunning, DesiredStatus: structs.AllocDesiredRun, CreateIndex: index,
			Healthy: &unhealthy,
			TaskStates: map[string]*structs.TaskState{"server": {State: structs.TaskStatePending, Starts: 7,
				ExitCode: &code, NextStart: next, Health: structs.HealthUnhealthy, LastError: "it broke",
				Checks: []*structs.CheckStatus{{Name: "api", Status: structs.HealthUnhealthy, Output: "HTTP GET x: 500\nbody", Time: 5}}}}}
	})
	code, out, stderr := runCmd(ui, "alloc", "status", "dddd")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"Health", "unhealthy", "Starts", "7", "Next Start", formatTime(next),
		"Last Error", "it broke", "Checks:", "api", "HTTP GET x: 500 ..."} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestJobStatus_HealthColumn(t *testing.T) {
	f, ui := newFakeCluster(t)
	if code, _, _ := runCmd(ui, "job", "run", "-detach", writeFile(t, "job.json", goodJobJSON)); code != 0 {
		t.Fatal("run failed")
	}
	healthy := true
	f.write(func(uint64) {
		for _, a := range f.allocs {
			a.Healthy = &healthy
		}
	})
	ui.OutputWriter.Reset()
	code, out, _ := runCmd(ui, "job", "status", "hello")
	if code != 0 || !strings.Contains(out, "Health") || !strings.Contains(out, "Next Start") || !strings.Contains(out, "healthy") {
		t.Fatalf("want a Health column with healthy allocations: exit %d\n%s", code, out)
	}
}

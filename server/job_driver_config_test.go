package server

import (
	"strings"
	"testing"

	"github.com/appmesh/appmesh/structs"
)

// TestJobPlanChecksDriverConfig: the servers (Job.Plan and Job.Register) check a task's config against
// the schema its driver reported in a node's fingerprint (a third-party
// plugin's as well as a built-in's), so job plan names a typo before
// anything is placed; a driver that reported none is not checked.
func TestJobPlanChecksDriverConfig(t *testing.T) {
	s := testServer(t, nil)
	n := testNode("n1", 4000, 4096)
	n.Drivers["my-plugin"] = &structs.DriverInfo{Detected: true, Healthy: true,
		ConfigKeys: []string{"endpoint", "retries"}, ConfigRequired: []string{"endpoint"}}
	registerNode(t, s, n)

	job := testJob("web", 1, 64)
	job.Groups[0].Tasks[0].Driver = "my-plugin"
	job.Groups[0].Tasks[0].Config = map[string]any{"endpont": "x"}
	var reply structs.JobPlanResponse
	err := s.RPC("Job.Plan", &structs.JobPlanRequest{Job: job, Diff: true}, &reply)
	if err == nil || !strings.Contains(err.Error(), `unknown key "endpont" for driver "my-plugin"; did you mean "endpoint"?`) ||
		!strings.Contains(err.Error(), `endpoint is required`) {
		t.Fatalf("plan with a typo in a plugin's config: %v, want the unknown and the missing key", err)
	}

	// Registering it is refused the same way: nothing is stored.
	var reg structs.JobRegisterResponse
	err = s.RPC("Job.Register", &structs.JobRegisterRequest{Job: job}, &reg)
	if err == nil || !strings.Contains(err.Error(), `did you mean "endpoint"?`) {
		t.Fatalf("register with a typo in a plugin's config: %v, want it refused", err)
	}

	job.Groups[0].Tasks[0].Config = map[string]any{"endpoint": "x", "retries": 2}
	if err := s.RPC("Job.Plan", &structs.JobPlanRequest{Job: job, Diff: true}, &reply); err != nil {
		t.Fatalf("plan with a good config: %v", err)
	}
	// exec on this node reported no schema: nothing to check against.
	other := testJob("other", 1, 64)
	other.Groups[0].Tasks[0].Config = map[string]any{"anything": 1}
	if err := s.RPC("Job.Plan", &structs.JobPlanRequest{Job: other, Diff: true}, &reply); err != nil {
		t.Fatalf("plan for a driver without a schema: %v", err)
	}
}

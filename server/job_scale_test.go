package server

import (
	"strings"
	"testing"

	"github.com/appmesh/appmesh/structs"
)

// TestJobScale: the count changes as a new version, within the scaling
// block's bounds, and a token with only scale-job may scale but not submit.
func TestJobScale(t *testing.T) {
	s := testServer(t, func(c *Config) { c.ACLEnabled = true })
	mgmt, err := bootstrap(t, s, 0)
	if err != nil {
		t.Fatal(err)
	}
	job := testJob("web", 2, 64)
	job.Groups[0].Tasks[0].User = "nobody"
	hi := 4
	job.Groups[0].Scaling = &structs.ScalingPolicy{Max: &hi}
	reg := &structs.JobRegisterRequest{Job: job}
	reg.AuthToken = mgmt.SecretID
	if err := s.RPC(structs.JobRegisterRPC, reg, &structs.JobRegisterResponse{}); err != nil {
		t.Fatal(err)
	}
	scaler := clientToken(t, s, mgmt.SecretID, "scaler", `namespace "default" { capabilities = ["scale-job"] }`, 0)
	reader := clientToken(t, s, mgmt.SecretID, "reader", `namespace "default" { policy = "read" }`, 0)
	scale := func(token, group string, count int) error {
		args := &structs.JobScaleRequest{JobID: "web", Group: group, Count: count}
		args.AuthToken = token
		return s.RPC(structs.JobScaleRPC, args, &structs.JobRegisterResponse{})
	}
	if err := scale(reader, "web", 3); err == nil || !strings.Contains(err.Error(), "Permission denied") {
		t.Fatalf("read-only token scaling: %v", err)
	}
	args := &structs.JobScaleRequest{JobID: "web", Group: "web", Count: 3}
	args.AuthToken = scaler
	var scaled structs.JobRegisterResponse
	if err := s.RPC(structs.JobScaleRPC, args, &scaled); err != nil {
		t.Fatalf("scale-job token: %v", err)
	}
	stored, _ := s.State().JobByID(nil, structs.DefaultNamespace, "web")
	if stored.Groups[0].Count != 3 || stored.Version != 1 {
		t.Fatalf("after scale: count %d version %d, want 3 and 1", stored.Groups[0].Count, stored.Version)
	}
	// The evaluation says it came from a scale, as Nomad's does.
	eval, err := s.State().EvalByID(nil, scaled.EvalID)
	if err != nil || eval == nil {
		t.Fatalf("scale's evaluation %q: %v %v", scaled.EvalID, eval, err)
	}
	if eval.TriggeredBy != structs.EvalTriggerScaling {
		t.Errorf("scale's evaluation triggered by %q, want %q", eval.TriggeredBy, structs.EvalTriggerScaling)
	}
	// min defaulted to the submitted count (2), max is 4.
	for _, n := range []int{1, 5} {
		err := scale(scaler, "web", n)
		if err == nil || !strings.Contains(err.Error(), "outside its scaling block's min 2 and max 4") {
			t.Errorf("scale to %d: %v, want a bounds error", n, err)
		}
	}
	if err := scale(scaler, "nope", 2); err == nil || !strings.Contains(err.Error(), `has no group "nope"`) {
		t.Errorf("unknown group: %v", err)
	}
	reg.AuthToken = scaler
	if err := s.RPC(structs.JobRegisterRPC, reg, &structs.JobRegisterResponse{}); err == nil ||
		!strings.Contains(err.Error(), "Permission denied") {
		t.Errorf("scale-job token submitting a job: %v, want permission denied", err)
	}
}

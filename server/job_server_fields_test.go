package server

import (
	"testing"

	"github.com/appmesh/appmesh/structs"
)

// planDiff plans job with a diff and returns the response.
func planDiff(t *testing.T, s *Server, job *structs.Job) *structs.JobPlanResponse {
	t.Helper()
	var resp structs.JobPlanResponse
	if err := s.RPC("Job.Plan", &structs.JobPlanRequest{Job: job, Diff: true}, &resp); err != nil {
		t.Fatalf("plan %q: %v", job.ID, err)
	}
	return &resp
}

// An unchanged job plans as "none" after the servers have marked its
// version (stable, or halted with an update failure), and also when the
// user feeds back the job as the servers show it (`job inspect`), with its
// status, version, indexes and rollout outcome filled in. Before the
// server-owned fields had one list, the diff reported "stable" and
// "update_failure" as edits.
func TestJobPlan_UnchangedJobIsNoEditAfterRollout(t *testing.T) {
	s := testServer(t, nil)
	registerNode(t, s, testNode("n1", 4000, 4096))
	registerJob(t, s, testJob("web", 1, 64))
	waitFor(t, "1 placed", func() bool { return liveAllocs(jobAllocs(t, s, "web")) == 1 })

	entry := &structs.JobRolloutEntry{Namespace: structs.DefaultNamespace, JobID: "web", Version: 0,
		Stable: true, Failure: "update to version 0 failed: allocation web.web[0] unhealthy"}
	if _, err := s.raftApply(structs.JobRolloutRequestType, entry); err != nil {
		t.Fatalf("mark version 0: %v", err)
	}
	var stored *structs.Job
	waitFor(t, "version 0 marked stable", func() bool {
		j, err := s.State().JobByID(nil, structs.DefaultNamespace, "web")
		stored = j
		return err == nil && j != nil && j.Stable
	})

	for name, job := range map[string]*structs.Job{
		"the same file":     testJob("web", 1, 64),
		"the job as stored": stored.Copy(),
	} {
		resp := planDiff(t, s, job)
		if resp.Diff.Type != "none" {
			t.Errorf("%s: diff = %s %v, want none", name, resp.Diff.Type, fieldPaths(resp.Diff))
		}
		if g := resp.Annotations.Groups["web"]; g != nil && g.Place+g.Destructive+g.Stop > 0 {
			t.Errorf("%s: plan changes things: %+v", name, g)
		}
	}
}

func fieldPaths(d *structs.JobDiff) []string {
	var out []string
	for _, f := range d.Fields {
		out = append(out, f.Path+": "+f.Old+" -> "+f.New)
	}
	return out
}

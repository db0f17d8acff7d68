package server

import (
	"strings"
	"testing"

	"github.com/appmesh/appmesh/structs"
)

func TestServer_SystemJobRunsOnNodeThatJoinsLater(t *testing.T) {
	s := testServer(t, nil)
	registerNode(t, s, testNode("n1", 4000, 4096))
	registerNode(t, s, testNode("n2", 4000, 4096))
	job := testJob("agent", 1, 64)
	job.Type = structs.JobTypeSystem
	registerJob(t, s, job)
	waitFor(t, "one allocation per node", func() bool { return liveAllocs(jobAllocs(t, s, "agent")) == 2 })

	late := testNode("n3", 4000, 4096)
	registerNode(t, s, late)
	waitFor(t, "allocation on the late node", func() bool {
		for _, a := range jobAllocs(t, s, "agent") {
			if a.NodeID == late.ID && a.DesiredStatus == structs.AllocDesiredRun {
				return true
			}
		}
		return false
	})
	if n := liveAllocs(jobAllocs(t, s, "agent")); n != 3 {
		t.Fatalf("%d live allocations, want exactly 3: %s", n, describe(jobAllocs(t, s, "agent")))
	}
}

func TestServer_JobPlanWithAndWithoutChanges(t *testing.T) {
	s := testServer(t, nil)
	registerNode(t, s, testNode("n1", 4000, 4096))
	job := testJob("web", 2, 64)

	var fresh structs.JobPlanResponse
	if err := s.RPC("Job.Plan", &structs.JobPlanRequest{Job: job, Diff: true}, &fresh); err != nil {
		t.Fatal(err)
	}
	if fresh.Diff.Type != "added" || fresh.Annotations.Groups["web"].Place != 2 || fresh.JobModifyIndex != 0 {
		t.Fatalf("plan of a new job = %+v / %+v", fresh.Diff, fresh.Annotations.Groups["web"])
	}
	if jobAllocs(t, s, "web") != nil && len(jobAllocs(t, s, "web")) != 0 {
		t.Fatal("plan wrote allocations")
	}

	reg := registerJob(t, s, job)
	waitFor(t, "2 placed", func() bool { return liveAllocs(jobAllocs(t, s, "web")) == 2 })
	var same structs.JobPlanResponse
	if err := s.RPC("Job.Plan", &structs.JobPlanRequest{Job: testJob("web", 2, 64), Diff: true}, &same); err != nil {
		t.Fatal(err)
	}
	if same.Diff.Type != "none" || same.JobModifyIndex != reg.JobModifyIndex {
		t.Fatalf("unchanged plan = %+v, index %d want %d", same.Diff, same.JobModifyIndex, reg.JobModifyIndex)
	}
	if g := same.Annotations.Groups["web"]; g != nil && g.Place+g.Destructive+g.Stop > 0 {
		t.Fatalf("unchanged plan changes things: %+v", g)
	}

	changed := testJob("web", 3, 64)
	changed.Groups[0].Tasks[0].Config["args"] = []any{"120"}
	var diff structs.JobPlanResponse
	if err := s.RPC("Job.Plan", &structs.JobPlanRequest{Job: changed, Diff: true}, &diff); err != nil {
		t.Fatal(err)
	}
	g := diff.Annotations.Groups["web"]
	if diff.Diff.Type != "edited" || g.Destructive != 2 || g.Place != 1 {
		t.Fatalf("changed plan = %+v / %+v", diff.Diff, g)
	}
	paths := []string{}
	for _, f := range diff.Diff.Fields {
		paths = append(paths, f.Path)
	}
	joined := strings.Join(paths, " ")
	if !strings.Contains(joined, "groups[web].count") || !strings.Contains(joined, "groups[web].tasks[server].config.args") {
		t.Fatalf("diff paths = %v", paths)
	}
}

func TestServer_HistoryAndRevert(t *testing.T) {
	s := testServer(t, nil)
	registerNode(t, s, testNode("n1", 4000, 4096))
	registerJob(t, s, testJob("web", 1, 64))
	v1 := testJob("web", 1, 128)
	registerJob(t, s, v1)

	var hist structs.JobVersionsResponse
	if err := s.RPC("Job.GetVersions", &structs.JobSpecificRequest{JobID: "web"}, &hist); err != nil {
		t.Fatal(err)
	}
	if len(hist.Versions) != 2 || hist.Versions[0].Version != 1 {
		t.Fatalf("versions = %d", len(hist.Versions))
	}
	var out structs.JobRegisterResponse
	if err := s.RPC("Job.Revert", &structs.JobRevertRequest{JobID: "web", Version: 0}, &out); err != nil {
		t.Fatal(err)
	}
	var cur structs.SingleJobResponse
	if err := s.RPC(structs.JobGetJobRPC, &structs.JobSpecificRequest{JobID: "web"}, &cur); err != nil {
		t.Fatal(err)
	}
	if cur.Job.Version != 2 || cur.Job.Groups[0].Tasks[0].Resources.MemoryMB != 64 {
		t.Fatalf("after revert: version %d memory %d", cur.Job.Version, cur.Job.Groups[0].Tasks[0].Resources.MemoryMB)
	}
	for _, bad := range []*structs.JobRevertRequest{
		{JobID: "web", Version: 2},  // current
		{JobID: "web", Version: 99}, // unknown
		{JobID: "nope", Version: 0},
		{JobID: ""},
	} {
		if err := s.RPC("Job.Revert", bad, &out); err == nil {
			t.Errorf("revert %+v: no error", bad)
		}
	}
}

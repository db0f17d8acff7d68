package server

import (
	"testing"

	"github.com/appmesh/appmesh/structs"
)

// TestJobDiffIgnoresStable: a stored version marked stable, planned again
// unchanged, is "no change" (job plan printed "- stable: true").
func TestJobDiffIgnoresStable(t *testing.T) {
	old := &structs.Job{ID: "web", Type: structs.JobTypeService, Stable: true}
	d, err := diffJobs(old, &structs.Job{ID: "web", Type: structs.JobTypeService})
	if err != nil {
		t.Fatal(err)
	}
	if d.Type != "none" || len(d.Fields) != 0 {
		t.Fatalf("diff of a stable job against itself: %s %+v, want none", d.Type, d.Fields)
	}
}

package scheduler

import (
	"strings"
	"testing"
)

// A job asking for a Nomad driver appmesh does not ship fails placement
// with a reason that says so.
func TestService_NomadOnlyDriverReason(t *testing.T) {
	h := NewHarness()
	h.UpsertNode(testNode(1))
	job := testJob("javaapp", 1)
	job.Groups[0].Tasks[0].Driver = "java"
	h.UpsertJob(job)
	got := process(t, h, testEval(job))
	m := got.FailedTGAllocs["web"]
	if m == nil {
		t.Fatalf("want a failed placement, got %+v", got)
	}
	var found bool
	for reason := range m.ConstraintFiltered {
		found = found || strings.Contains(reason, `missing driver "java" (a Nomad driver appmesh does not include`)
	}
	if !found {
		t.Fatalf("filter reasons = %v", m.ConstraintFiltered)
	}
}

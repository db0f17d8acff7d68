package structs

import (
	"strings"
	"testing"
)

// A job with null entries in its lists (JSON `null`, a msgpack nil) used to
// crash Canonicalize with a nil pointer dereference, taking down the agent
// handling PUT /v1/jobs or the server handling Job.Register (found by
// FuzzWriteRouteBodies). It is now refused, naming each null.
func TestJobWithNullEntriesIsRefused(t *testing.T) {
	j := &Job{ID: "x", Groups: []*TaskGroup{nil, {Name: "g", Tasks: []*Task{nil}, Constraints: []*Constraint{nil}}}}
	j.Canonicalize()
	err := j.Validate()
	if err == nil {
		t.Fatal("a job with null groups and tasks was accepted")
	}
	for _, want := range []string{"job.groups[0]", "job.groups[1].tasks[0]", "job.groups[1].constraints[0]"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	if !IsValidation(err) {
		t.Errorf("error %T is not a validation error (a 400)", err)
	}
}

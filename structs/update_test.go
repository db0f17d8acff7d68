package structs

import (
	"strings"
	"testing"
	"time"
)

// A group's update block is merged over the job's, field by field: what
// the group sets wins, what it leaves out comes from the job.
func TestMergeUpdate(t *testing.T) {
	job := &UpdateStrategy{MaxParallel: 2, Canary: 1, AutoPromote: true, ProgressDeadline: Duration(10 * time.Minute),
		HealthCheck: UpdateHealthChecks, Stagger: Duration(30 * time.Second)}
	group := &UpdateStrategy{MaxParallel: 1, HealthCheck: UpdateHealthTaskStates, MinHealthyTime: Duration(time.Second)}
	got := MergeUpdate(job, group)
	want := UpdateStrategy{MaxParallel: 1, Canary: 1, AutoPromote: true, ProgressDeadline: Duration(10 * time.Minute),
		HealthCheck: UpdateHealthTaskStates, Stagger: Duration(30 * time.Second), MinHealthyTime: Duration(time.Second)}
	if *got != want {
		t.Fatalf("merged = %+v, want %+v", *got, want)
	}
	if group.Canary != 0 || job.MaxParallel != 2 {
		t.Fatal("MergeUpdate changed its inputs")
	}
	if MergeUpdate(nil, nil) != nil {
		t.Fatal("merge of two nil strategies is not nil")
	}
	if c := MergeUpdate(job, nil); c == job || *c != *job {
		t.Fatalf("merge with no group block = %+v, want a copy of the job's", c)
	}
	if c := MergeUpdate(nil, group); c == group || *c != *group {
		t.Fatalf("merge with no job block = %+v, want a copy of the group's", c)
	}
	// GroupUpdate uses it.
	j := &Job{Update: job}
	tg := &TaskGroup{Update: group}
	if g := GroupUpdate(j, tg); *g != want {
		t.Fatalf("GroupUpdate = %+v, want the merge", *g)
	}
}

func TestUpdateValidateCanary(t *testing.T) {
	cases := []struct {
		name string
		u    UpdateStrategy
		want string
	}{
		{"negative canary", UpdateStrategy{Canary: -1}, "canary must not be negative (got -1)"},
		{"bad health_check", UpdateStrategy{HealthCheck: "consul"}, `health_check "consul" is invalid: must be one of checks, task_states, manual`},
		{"negative progress", UpdateStrategy{ProgressDeadline: Duration(-time.Second)}, "progress_deadline must not be negative"},
		{"negative stagger", UpdateStrategy{Stagger: Duration(-time.Second)}, "stagger must not be negative"},
	}
	for _, c := range cases {
		err := c.u.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
	ok := UpdateStrategy{Canary: 5, AutoPromote: true, HealthCheck: UpdateHealthManual, ProgressDeadline: Duration(time.Minute)}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid strategy refused: %v", err)
	}
}

// The checks that need the merged block name the group.
func TestJobValidateMergedUpdate(t *testing.T) {
	job := &Job{ID: "web", Type: JobTypeService, Priority: 50,
		Update: &UpdateStrategy{AutoPromote: true},
		Groups: []*TaskGroup{{Name: "api", Count: 1, Tasks: []*Task{{Name: "t", Driver: "raw_exec"}}}}}
	err := job.Validate()
	if err == nil || !strings.Contains(err.Error(), `group "api" update: auto_promote needs canary of at least 1`) {
		t.Fatalf("error = %v", err)
	}
	job.Groups[0].Update = &UpdateStrategy{Canary: 1}
	if err := job.Validate(); err != nil && strings.Contains(err.Error(), "update") {
		t.Fatalf("canary in the group, auto_promote in the job: %v", err)
	}
	job.Type = JobTypeBatch
	if err := job.Validate(); err == nil || !strings.Contains(err.Error(), `group "api" update: canary is only for service jobs`) {
		t.Fatalf("batch job with canary: error = %v", err)
	}
}

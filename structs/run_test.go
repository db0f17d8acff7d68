package structs

import "testing"

// TestRunJobNeverRescheduled: a remote run (meta appmesh.run) is a batch
// job, whose default would run a failed command a second time after 5s;
// a run runs once unless its job asks otherwise.
func TestRunJobNeverRescheduled(t *testing.T) {
	run := &Job{ID: "run-1", Type: JobTypeBatch, Meta: map[string]string{RunMetaKey: "sync"},
		Groups: []*TaskGroup{{Name: RunGroup}}}
	if p := EffectiveReschedulePolicy(run, run.Groups[0]); p != nil {
		t.Fatalf("remote run: reschedule policy %+v, want none", p)
	}
	batch := &Job{ID: "b", Type: JobTypeBatch, Groups: []*TaskGroup{{Name: "g"}}}
	if p := EffectiveReschedulePolicy(batch, batch.Groups[0]); p == nil || p.Attempts == nil || *p.Attempts != 1 {
		t.Fatalf("plain batch job: reschedule policy %+v, want the batch default (1 attempt)", p)
	}
	two := 2
	run.Groups[0].Reschedule = &ReschedulePolicy{Attempts: &two}
	if p := EffectiveReschedulePolicy(run, run.Groups[0]); p == nil || *p.Attempts != 2 {
		t.Fatalf("remote run with an explicit reschedule block: %+v, want it honoured", p)
	}
}

package allocrunner

import (
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/client/taskrunner"
	"github.com/appmesh/appmesh/drivers/rawexec"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-hclog"
)

func healthJob(u *structs.UpdateStrategy, tasks ...*structs.Task) *structs.Job {
	return &structs.Job{ID: "job", Type: structs.JobTypeService, Update: u,
		Groups: []*structs.TaskGroup{{Name: "g", Count: 1, Tasks: tasks}}}
}

func runWithJob(t *testing.T, job *structs.Job) (*AllocRunner, *recorder) {
	t.Helper()
	alloc := &structs.Allocation{ID: structs.GenerateID(), JobID: "job", TaskGroup: "g", DesiredStatus: structs.AllocDesiredRun}
	rec := &recorder{}
	ar, err := New(&Config{Alloc: alloc, Job: job, DataDir: t.TempDir(),
		Drivers: oneDriver{rawexec.New(hclog.NewNullLogger())}, OnUpdate: rec.put})
	if err != nil {
		t.Fatal(err)
	}
	go ar.Run()
	t.Cleanup(ar.Destroy)
	return ar, rec
}

func waitUpdate(t *testing.T, rec *recorder, what string, ok func(u *structs.AllocStatusUpdate) bool) *structs.AllocStatusUpdate {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		rec.mu.Lock()
		for _, u := range rec.updates {
			if ok(u) {
				rec.mu.Unlock()
				return u
			}
		}
		rec.mu.Unlock()
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no update %s; last: %+v", what, rec.last())
	return nil
}

func running(u *structs.AllocStatusUpdate) bool { return u.ClientStatus == structs.AllocClientRunning }

// An allocation is reported healthy only once its tasks have run for
// min_healthy_time, not when they start.
func TestAllocHealth_MinHealthyTime(t *testing.T) {
	const minHealthy = 300 * time.Millisecond
	_, rec := runWithJob(t, healthJob(&structs.UpdateStrategy{MinHealthyTime: structs.Duration(minHealthy)},
		shTask("web", "exec sleep 600")))
	first := waitUpdate(t, rec, "running", running)
	if first.Healthy != nil {
		t.Fatalf("healthy = %v as soon as the task runs, want unknown until min_healthy_time", *first.Healthy)
	}
	healthy := waitUpdate(t, rec, "healthy", func(u *structs.AllocStatusUpdate) bool { return u.Healthy != nil && *u.Healthy })
	if ran := time.Duration(healthy.ModifyTime - first.ModifyTime); ran < minHealthy {
		t.Fatalf("healthy after %s of running, want at least %s", ran, minHealthy)
	}
}

// Without an update block the allocation is healthy as soon as it runs.
func TestAllocHealth_NoUpdateBlockHealthyWhenRunning(t *testing.T) {
	_, rec := runWithJob(t, healthJob(nil, shTask("web", "exec sleep 600")))
	waitUpdate(t, rec, "healthy", func(u *structs.AllocStatusUpdate) bool { return u.Healthy != nil && *u.Healthy })
}

// A check that never passes leaves the health unknown until the deadline,
// then the allocation is unhealthy, says why and records an event.
func TestAllocHealth_HealthyDeadline(t *testing.T) {
	task := shTask("web", "exec sleep 600")
	task.Checks = []*structs.Check{{Name: "never", Type: structs.CheckTypeScript, Command: "/bin/sh",
		Args: []string{"-c", "exit 1"}, Interval: structs.Duration(50 * time.Millisecond)}}
	ar, rec := runWithJob(t, healthJob(&structs.UpdateStrategy{MinHealthyTime: structs.Duration(100 * time.Millisecond),
		HealthyDeadline: structs.Duration(400 * time.Millisecond)}, task))
	waitUpdate(t, rec, "a failed check", func(u *structs.AllocStatusUpdate) bool {
		ts := u.TaskStates["web"]
		return ts != nil && ts.Health == structs.HealthUnhealthy
	})
	rec.mu.Lock()
	for _, u := range rec.updates {
		if u.Healthy != nil && !*u.Healthy && !strings.Contains(u.ClientDescription, "healthy_deadline") {
			rec.mu.Unlock()
			t.Fatalf("unhealthy before the deadline on a failing check: %+v", u)
		}
	}
	rec.mu.Unlock()
	bad := waitUpdate(t, rec, "unhealthy", func(u *structs.AllocStatusUpdate) bool { return u.Healthy != nil && !*u.Healthy })
	if !strings.Contains(bad.ClientDescription, "not healthy within healthy_deadline 400ms") {
		t.Fatalf("description %q, want the deadline", bad.ClientDescription)
	}
	waitUpdate(t, rec, "an Alloc Unhealthy event", func(u *structs.AllocStatusUpdate) bool {
		for _, e := range u.TaskStates["web"].Events {
			if e.Type == taskrunner.TaskEventUnhealthy && strings.Contains(e.Message, "healthy_deadline") {
				return true
			}
		}
		return false
	})
	if h := ar.Alloc().Healthy; h == nil || *h {
		t.Fatalf("Alloc().Healthy = %v, want false", h)
	}
}

// The min_healthy_time clock restarts on a relapse: a failing check
// before the time is up does not make the allocation unhealthy, it starts
// the wait over.
func TestAllocHealth_RelapseRestartsClock(t *testing.T) {
	job := healthJob(&structs.UpdateStrategy{MinHealthyTime: structs.Duration(time.Hour)}, shTask("web", "x"))
	job.Groups[0].Tasks[0].Checks = []*structs.Check{{Type: structs.CheckTypeTCP, Port: "1"}}
	h := newAllocHealth(job, job.Groups[0], false, false)
	h.minHealthy = 300 * time.Millisecond // observe is driven with synthetic times below
	defer h.stop()
	pass := map[string]*structs.TaskState{"web": {State: structs.TaskStateRunning, Health: structs.HealthHealthy,
		Checks: []*structs.CheckStatus{{Status: structs.HealthHealthy}}}}
	fail := map[string]*structs.TaskState{"web": {State: structs.TaskStateRunning, Health: structs.HealthUnhealthy,
		Checks: []*structs.CheckStatus{{Status: structs.HealthUnhealthy}}}}
	t0 := time.Now()
	for _, step := range []struct {
		at     time.Duration
		states map[string]*structs.TaskState
		want   *bool
	}{
		{0, pass, nil},
		{200 * time.Millisecond, fail, nil}, // relapse: not unhealthy, clock reset
		{250 * time.Millisecond, pass, nil},
		{400 * time.Millisecond, pass, nil}, // 150ms since the relapse
		{560 * time.Millisecond, pass, boolPtr(true)},
		{600 * time.Millisecond, fail, boolPtr(false)}, // relapse after healthy is reported
		{700 * time.Millisecond, pass, boolPtr(true)},
	} {
		got, _ := h.observe(t0.Add(step.at), structs.AllocClientRunning, step.states)
		if (got == nil) != (step.want == nil) || (got != nil && *got != *step.want) {
			t.Fatalf("at %s: healthy = %v, want %v", step.at, fmtBool(got), fmtBool(step.want))
		}
	}
}

func fmtBool(b *bool) string {
	if b == nil {
		return "unknown"
	}
	if *b {
		return "true"
	}
	return "false"
}

// A drain's replacement is judged by the group's migrate block (Nomad's
// defaults for its unset fields), any other allocation by the update block.
func TestAllocHealth_DrainReplacementUsesMigrate(t *testing.T) {
	job := healthJob(&structs.UpdateStrategy{MinHealthyTime: structs.Duration(time.Minute), HealthCheck: structs.UpdateHealthTaskStates},
		shTask("web", "x"))
	job.Groups[0].Migrate = &structs.MigrateStrategy{MinHealthyTime: structs.Duration(3 * time.Second)}
	drain := newAllocHealth(job, job.Groups[0], true, false)
	defer drain.stop()
	if drain.minHealthy != 3*time.Second || drain.deadline != structs.DefaultMigrateDeadline || drain.ignoreChecks {
		t.Fatalf("drain replacement: min %s deadline %s ignoreChecks %v", drain.minHealthy, drain.deadline, drain.ignoreChecks)
	}
	other := newAllocHealth(job, job.Groups[0], false, false)
	defer other.stop()
	if other.minHealthy != time.Minute || !other.ignoreChecks {
		t.Fatalf("other allocation: min %s ignoreChecks %v", other.minHealthy, other.ignoreChecks)
	}
}

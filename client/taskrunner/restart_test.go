package taskrunner

import (
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/structs"
)

func intp(n int) *int { return &n }

// fakeClock drives a tracker without sleeping.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func newTestTracker(p *structs.RestartPolicy, jobType string) (*restartTracker, *fakeClock) {
	clk := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	rt := newRestartTracker(p, jobType, false)
	rt.now = clk.now
	return rt, clk
}

var crash = &drivers.ExitResult{ExitCode: 1}

func TestRestartTracker_AttemptsThenFail(t *testing.T) {
	p := &structs.RestartPolicy{Attempts: intp(3), Interval: structs.Duration(time.Hour),
		Delay: structs.Duration(time.Second), MaxDelay: structs.Duration(3 * time.Second), Mode: structs.RestartModeFail}
	rt, clk := newTestTracker(p, structs.JobTypeService)
	want := []time.Duration{time.Second, 2 * time.Second, 3 * time.Second} // doubled, capped
	for i, w := range want {
		d := rt.onExit(crash, time.Millisecond)
		if !d.restart || d.delay != w {
			t.Fatalf("exit %d: want restart after %s, got %+v", i+1, w, d)
		}
		clk.t = clk.t.Add(d.delay)
	}
	d := rt.onExit(crash, time.Millisecond)
	if d.restart || !d.failed || !strings.Contains(d.reason, "Exceeded allowed attempts 3") {
		t.Fatalf("4th exit: want fail, got %+v", d)
	}
}

func TestRestartTracker_HealthyRunResetsBackoff(t *testing.T) {
	p := &structs.RestartPolicy{Attempts: intp(10), Interval: structs.Duration(time.Minute),
		Delay: structs.Duration(time.Second), Mode: structs.RestartModeFail}
	rt, clk := newTestTracker(p, structs.JobTypeService)
	rt.onExit(crash, 0)
	if d := rt.onExit(crash, 0); d.delay != 2*time.Second {
		t.Fatalf("second quick crash: delay %s, want 2s", d.delay)
	}
	clk.t = clk.t.Add(2 * time.Minute)
	if d := rt.onExit(crash, 2*time.Minute); !d.restart || d.delay != time.Second {
		t.Fatalf("after a healthy run: want restart after 1s, got %+v", d)
	}
}

func TestRestartTracker_ModeDelayWaitsForInterval(t *testing.T) {
	p := &structs.RestartPolicy{Attempts: intp(1), Interval: structs.Duration(time.Minute),
		Delay: structs.Duration(time.Second), Mode: structs.RestartModeDelay}
	rt, clk := newTestTracker(p, structs.JobTypeService)
	rt.onExit(crash, 0)
	clk.t = clk.t.Add(10 * time.Second)
	d := rt.onExit(crash, 0)
	if !d.restart || d.delay != 50*time.Second {
		t.Fatalf("want a wait for the rest of the interval (50s), got %+v", d)
	}
	clk.t = clk.t.Add(d.delay)
	if d := rt.onExit(crash, 0); !d.restart {
		t.Fatalf("new round: want restart, got %+v", d)
	}
}

func TestRestartTracker_ExitActionsAndBatch(t *testing.T) {
	p := structs.EffectiveRestartPolicy(structs.JobTypeBatch, nil, &structs.RestartPolicy{OnExit: []*structs.ExitAction{
		{Code: 3, Action: structs.ExitActionStandby},
		{Code: 4, Action: structs.ExitActionKeepalive},
		{Code: 5, Action: structs.ExitActionRemove},
	}})
	rt, _ := newTestTracker(p, structs.JobTypeBatch)
	if d := rt.onExit(&drivers.ExitResult{ExitCode: 3}, 0); d.restart || d.failed || d.remove {
		t.Fatalf("standby: %+v", d)
	}
	if d := rt.onExit(&drivers.ExitResult{ExitCode: 4}, 10*time.Second); !d.restart || d.delay != 0 {
		t.Fatalf("keepalive: want restart at once, got %+v", d)
	}
	if d := rt.onExit(&drivers.ExitResult{ExitCode: 5}, 0); d.restart || !d.remove || d.failed {
		t.Fatalf("remove: %+v", d)
	}
	if d := rt.onExit(&drivers.ExitResult{ExitCode: 0}, 0); d.restart || d.failed {
		t.Fatalf("batch success: want done, got %+v", d)
	}
	if d := rt.onExit(crash, 0); !d.restart || d.delay != 15*time.Second {
		t.Fatalf("batch crash: want the default 15s delay, got %+v", d)
	}
}

func TestRestartPolicy_Validate(t *testing.T) {
	p := &structs.RestartPolicy{Attempts: intp(-1), Delay: structs.Duration(-time.Second), Mode: "sometimes",
		OnExit: []*structs.ExitAction{{Code: 300, Action: "explode"}, {Code: 300, Action: "restart"}}}
	err := p.Validate()
	if err == nil {
		t.Fatal("want errors")
	}
	for _, want := range []string{"attempts must not be negative", "delay must not be negative", `mode "sometimes" is invalid`,
		"on_exit 1: code must be an exit code", `on_exit 1: action "explode" is invalid`, "on_exit 2: code 300 is listed more than once"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in %v", want, err)
		}
	}
	if err := structs.DefaultRestartPolicy(structs.JobTypeService).Validate(); err != nil {
		t.Fatalf("default policy invalid: %v", err)
	}
}

// TestTaskRunner_CrashLoopRestartsThenFails runs a real crashing process
// under a policy of 2 attempts: 3 runs, 2 Restarting events, then failed.
func TestTaskRunner_CrashLoopRestartsThenFails(t *testing.T) {
	tr, dir := newRunner(t, `echo run >> "$APPMESH_TASK_DIR/runs"; exit 7`)
	tr.restarts = newRestartTracker(&structs.RestartPolicy{Attempts: intp(2), Interval: structs.Duration(time.Hour),
		Delay: structs.Duration(10 * time.Millisecond), Mode: structs.RestartModeFail}, structs.JobTypeService, false)
	runAsync(t, tr)
	waitDone(t, tr, 60*time.Second)
	s := tr.State()
	if s.State != structs.TaskStateDead || !s.Failed || s.Restarts != 2 {
		t.Fatalf("want dead, failed, 2 restarts: %+v", s)
	}
	var restarting int
	for _, e := range s.Events {
		if e.Type == structs.TaskEventRestarting {
			restarting++
		}
	}
	if restarting != 2 || hasEvent(s, structs.TaskEventNotRestarting) == nil {
		t.Fatalf("want 2 Restarting and a Not Restarting event: %+v", s.Events)
	}
	runs, _ := readFile(dir.TaskDir("web") + "/runs")
	if strings.Count(runs, "run") != 3 {
		t.Fatalf("want 3 runs, got %q", runs)
	}
}

// TestTaskRunner_UserRestart restarts a long task on request: a new
// process, Restarts counted, still running.
func TestTaskRunner_UserRestart(t *testing.T) {
	tr, dir := newRunner(t, `echo $$ >> "$APPMESH_TASK_DIR/pids"; exec sleep 600`)
	tr.restarts = newRestartTracker(structs.DefaultRestartPolicy(structs.JobTypeService), structs.JobTypeService, false)
	runAsync(t, tr)
	pids := dir.TaskDir("web") + "/pids"
	waitUntil(t, "first run", func() bool { s, _ := readFile(pids); return strings.Count(s, "\n") == 1 })
	if err := tr.Restart("test"); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "second run", func() bool {
		s, _ := readFile(pids)
		return strings.Count(s, "\n") == 2 && tr.State().State == structs.TaskStateRunning
	})
	if s := tr.State(); s.Restarts != 1 || s.Failed {
		t.Fatalf("want 1 restart, not failed: %+v", s)
	}
	first, _ := readFile(pids)
	if pid := strings.Split(first, "\n")[0]; processAlive(pid) {
		t.Fatalf("first process %s still alive after the restart", pid)
	}
}

func TestBuildEnv_Ports(t *testing.T) {
	alloc := &structs.Allocation{ID: "a", AllocatedPorts: []structs.AllocatedPort{
		{Label: "http", Value: 23456}, {Label: "admin-ui", Value: 23457, To: 8080}}}
	env := buildEnv(&structs.Task{Name: "web"}, alloc, "/a", "/a/web")
	for k, want := range map[string]string{"APPMESH_PORT_http": "23456", "APPMESH_HOST_PORT_http": "23456",
		"APPMESH_PORT_admin_ui": "8080", "APPMESH_HOST_PORT_admin_ui": "23457"} {
		if env[k] != want {
			t.Errorf("%s = %q, want %q", k, env[k], want)
		}
	}
}

// An ephemeral lifecycle task (prestart, poststart or poststop without
// sidecar) completes on a clean exit even in a service job, and a crash
// is still restarted by the policy.
func TestRestartTracker_EphemeralCompletes(t *testing.T) {
	p := &structs.RestartPolicy{Attempts: intp(1), Interval: structs.Duration(time.Hour),
		Delay: structs.Duration(time.Second), Mode: structs.RestartModeFail}
	rt := newRestartTracker(p, structs.JobTypeService, true)
	if d := rt.onExit(crash, time.Millisecond); !d.restart {
		t.Fatalf("crash: want a restart, got %+v", d)
	}
	if d := rt.onExit(&drivers.ExitResult{}, time.Millisecond); d.restart || d.failed {
		t.Fatalf("clean exit: want completion, got %+v", d)
	}
	svc := newRestartTracker(p, structs.JobTypeService, false)
	if d := svc.onExit(&drivers.ExitResult{}, time.Millisecond); !d.restart {
		t.Fatalf("a main task of a service restarts after a clean exit, got %+v", d)
	}
}

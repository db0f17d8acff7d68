package allocrunner

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// allocHealth judges the allocation's health as the servers use it to gate
// and judge rolling updates (Allocation.Healthy), the way Nomad's client
// sets deployment health:
//
//   - healthy once every task has been running, and the checks (if any)
//     passing, continuously for the update's min_healthy_time; a relapse
//     before that (a check fails, a task stops) restarts the clock;
//   - unhealthy, for good, when the allocation failed or did not become
//     healthy within healthy_deadline of its start;
//   - once healthy, unhealthy again while a check fails (a relapse is
//     visible to the servers, which fail an update still in progress).
//
// Timers re-run the judgement when min_healthy_time or the deadline is up;
// they belong to the alloc runner, which stops them when its tasks end.
type allocHealth struct {
	group      *structs.TaskGroup
	minHealthy time.Duration
	deadline   time.Duration
	hasChecks  bool
	// ignoreChecks: health_check = "task_states" (running tasks are
	// healthy whatever their checks say); manual: health_check =
	// "manual" (the client judges nothing, the servers take the health
	// from the deployment API).
	ignoreChecks bool
	manual       bool
	// recheck re-reports the allocation (min_healthy_time reached);
	// missed is called once when the deadline passes unhealthy.
	recheck func()
	missed  func(desc string)

	mu          sync.Mutex
	start       time.Time
	okSince     time.Time // zero while not running and passing
	everHealthy bool
	failed      bool
	missedDesc  string // set once the deadline passed
	healthy     *bool
	timer       *time.Timer
	deadlineT   *time.Timer
	stopped     bool
}

// newAllocHealth judges by the group's update block, or, for the
// replacement of an allocation moved off a draining node (drain), by its
// migrate block, as Nomad does: the drain waits for that health.
func newAllocHealth(job *structs.Job, group *structs.TaskGroup, drain, alreadyHealthy bool) *allocHealth {
	h := &allocHealth{recheck: func() {}, missed: func(string) {}, everHealthy: alreadyHealthy}
	if u := structs.GroupUpdate(job, group); drain && group.Migrate != nil {
		h.minHealthy, h.deadline, h.ignoreChecks = group.Migrate.HealthSettings()
	} else if u != nil {
		h.minHealthy, h.deadline = u.MinHealthyTime.Std(), u.HealthyDeadline.Std()
		h.ignoreChecks = u.HealthCheck == structs.UpdateHealthTaskStates
		h.manual = u.HealthCheck == structs.UpdateHealthManual
	}
	// Checks with on_update = "ignore" do not judge deployment health.
	h.hasChecks = structs.DeploymentChecks(group) > 0 && !h.ignoreChecks
	h.group = group
	if alreadyHealthy {
		t := true
		h.healthy = &t
	}
	return h
}

// begin starts the deadline clock (the allocation's tasks are starting).
func (h *allocHealth) begin(now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.start = now
	if h.deadline <= 0 || h.everHealthy || h.manual {
		return
	}
	h.deadlineT = time.AfterFunc(h.deadline, h.deadlinePassed)
}

func (h *allocHealth) deadlinePassed() {
	h.mu.Lock()
	if h.stopped || h.everHealthy || h.failed || h.missedDesc != "" {
		h.mu.Unlock()
		return
	}
	h.missedDesc = "not healthy within healthy_deadline " + shortDuration(h.deadline)
	f := false
	h.healthy = &f
	desc := h.missedDesc
	h.mu.Unlock()
	h.missed(desc)
}

// observe judges the allocation after a change of its tasks and returns
// its health and, when the deadline was missed, the description to report.
func (h *allocHealth) observe(now time.Time, status string, states map[string]*structs.TaskState) (*bool, string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	checks := structs.DeploymentHealth(h.group, states)
	if h.ignoreChecks {
		checks = nil
	}
	switch {
	case h.manual:
		return nil, ""
	case status == structs.AllocClientFailed:
		h.failed = true
		f := false
		h.healthy = &f
	case h.missedDesc != "" || h.failed:
	case h.everHealthy:
		h.healthy = boolPtr(checks == nil || *checks)
	default:
		h.judgeBeforeHealthy(now, status, checks)
	}
	return copyBool(h.healthy), h.missedDesc
}

// judgeBeforeHealthy runs the min_healthy_time clock.
func (h *allocHealth) judgeBeforeHealthy(now time.Time, status string, checks *bool) {
	ok := status == structs.AllocClientRunning && (!h.hasChecks || (checks != nil && *checks))
	if !ok {
		h.okSince = time.Time{}
		h.stopTimer()
		return
	}
	if h.okSince.IsZero() {
		h.okSince = now
	}
	if left := h.minHealthy - now.Sub(h.okSince); left > 0 {
		if h.timer == nil && !h.stopped {
			h.timer = time.AfterFunc(left, h.recheckNow)
		}
		return
	}
	h.stopTimer()
	h.everHealthy = true
	h.healthy = boolPtr(true)
}

func (h *allocHealth) recheckNow() {
	h.mu.Lock()
	h.timer = nil
	stopped := h.stopped
	h.mu.Unlock()
	if !stopped {
		h.recheck()
	}
}

func (h *allocHealth) stopTimer() {
	if h.timer != nil {
		h.timer.Stop()
		h.timer = nil
	}
}

// current returns the last judgement.
func (h *allocHealth) current() *bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return copyBool(h.healthy)
}

// stop ends the timers; the tasks are dead.
func (h *allocHealth) stop() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.stopped = true
	h.stopTimer()
	if h.deadlineT != nil {
		h.deadlineT.Stop()
	}
}

func boolPtr(b bool) *bool { return &b }

func copyBool(b *bool) *bool {
	if b == nil {
		return nil
	}
	return boolPtr(*b)
}

// shortDuration prints 5m rather than 5m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// unhealthyDescription is the client description of an allocation that
// missed its healthy_deadline.
func unhealthyDescription(statusDesc, missed string) string {
	if missed == "" {
		return statusDesc
	}
	return fmt.Sprintf("%s; %s", statusDesc, missed)
}

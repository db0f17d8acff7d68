package taskrunner

import (
	"fmt"
	"time"

	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/structs"
)

// keepaliveMinRun is the shortest run after which a keepalive exit
// restarts at once; a task that exits faster waits keepaliveDelay so that
// a program failing on start cannot eat the CPU.
const (
	keepaliveMinRun = time.Second
	keepaliveDelay  = time.Second
)

// restartDecision is what to do after a task exited.
type restartDecision struct {
	restart bool
	delay   time.Duration
	// reason is the message of the Restarting or Not Restarting event.
	reason string
	// failed marks a task that is not restarted as failed.
	failed bool
	// remove asks for the task's job to be stopped (on_exit "remove").
	remove bool
	// window: the daily window closed; the task starts again when it opens.
	window bool
}

// restartTracker applies a restart policy to a task's exits: attempts
// within an interval, a delay that doubles on a crash loop up to max_delay
// and resets after a healthy run (one longer than the interval), and the
// per-exit-code actions. A nil policy never restarts (tests, phase 1).
type restartTracker struct {
	policy *structs.RestartPolicy
	// batch: a clean exit completes the task instead of restarting it
	// (a batch job's task, or an ephemeral lifecycle task of any job).
	batch bool
	now   func() time.Time

	windowStart time.Time
	count       int // restarts counted in the current window
	streak      int // restarts since the last healthy run (back-off exponent)
}

func newRestartTracker(policy *structs.RestartPolicy, jobType string, ephemeral bool) *restartTracker {
	return &restartTracker{
		policy: policy,
		batch:  ephemeral || jobType == structs.JobTypeBatch || jobType == structs.JobTypeSysBatch,
		now:    time.Now,
	}
}

// onExit decides after the task ran for ranFor and ended with res.
func (rt *restartTracker) onExit(res *drivers.ExitResult, ranFor time.Duration) restartDecision {
	if rt.policy == nil {
		return restartDecision{failed: !res.Successful(), reason: "Restart policy disabled"}
	}
	code := res.ExitCode
	switch rt.policy.ExitActionFor(code) {
	case structs.ExitActionStandby:
		return restartDecision{reason: fmt.Sprintf("Exit code %d: on_exit action standby, staying stopped", code)}
	case structs.ExitActionRemove:
		return restartDecision{remove: true, reason: fmt.Sprintf("Exit code %d: on_exit action remove, stopping the job", code)}
	case structs.ExitActionKeepalive:
		d := time.Duration(0)
		if ranFor < keepaliveMinRun {
			d = keepaliveDelay
		}
		return restartDecision{restart: true, delay: d, reason: fmt.Sprintf("Exit code %d: on_exit action keepalive, restarting at once", code)}
	}
	if rt.batch && res.Successful() {
		return restartDecision{reason: "Restart unnecessary as task terminated successfully"}
	}
	return rt.policyDecision(ranFor)
}

// onStartFailure decides after the driver could not start the task.
func (rt *restartTracker) onStartFailure() restartDecision {
	if rt.policy == nil {
		return restartDecision{failed: true, reason: "Restart policy disabled"}
	}
	return rt.policyDecision(0)
}

// policyDecision counts one more restart against attempts and interval.
func (rt *restartTracker) policyDecision(ranFor time.Duration) restartDecision {
	p := rt.policy
	now := rt.now()
	interval := p.Interval.Std()
	attempts := p.AttemptsOr(0)
	if interval > 0 && ranFor >= interval {
		rt.streak = 0 // a healthy run ends the crash loop
	}
	if rt.windowStart.IsZero() || (interval > 0 && now.Sub(rt.windowStart) >= interval) {
		rt.windowStart, rt.count = now, 0
	}
	rt.count++
	if rt.count <= attempts {
		d := rt.backoff()
		rt.streak++
		return restartDecision{restart: true, delay: d,
			reason: fmt.Sprintf("Restart %d of %d within %s, after %s", rt.count, attempts, interval, d)}
	}
	if p.Mode != structs.RestartModeDelay {
		return restartDecision{failed: true,
			reason: fmt.Sprintf("Exceeded allowed attempts %d in interval %s and mode is %q", attempts, interval, structs.RestartModeFail)}
	}
	// Mode delay: wait for the window to end, then a new round begins.
	wait := max(rt.windowStart.Add(interval).Sub(now), rt.backoff())
	rt.windowStart, rt.count = now.Add(wait), 0
	rt.streak++
	return restartDecision{restart: true, delay: wait,
		reason: fmt.Sprintf("Exceeded allowed attempts %d in interval %s; mode %q waits %s", attempts, interval, structs.RestartModeDelay, wait)}
}

// backoff is delay * 2^streak, capped at max_delay.
func (rt *restartTracker) backoff() time.Duration {
	d := rt.policy.Delay.Std()
	limit := rt.policy.MaxDelay.Std()
	if limit <= 0 {
		limit = structs.DefaultMaxRestartDelay
	}
	limit = max(limit, d)
	for i := 0; i < rt.streak && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

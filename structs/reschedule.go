package structs

import (
	"fmt"
	"time"
)

// Delay functions of a reschedule policy: how the wait before the next
// reschedule grows with the attempts already made.
const (
	DelayFunctionConstant    = "constant"
	DelayFunctionExponential = "exponential"
	DelayFunctionFibonacci   = "fibonacci"
)

// Evaluation triggers of rescheduling.
const (
	// EvalTriggerAllocFailure evaluates a job whose allocation just failed,
	// so that the scheduler reschedules it (now, or by a delayed evaluation).
	EvalTriggerAllocFailure = "alloc-failure"
	// EvalTriggerReschedule marks the delayed evaluation that places the
	// replacement of a failed allocation once its reschedule delay passed.
	EvalTriggerReschedule = "alloc-reschedule"
)

// ReschedulePolicy is the `reschedule` block: how a failed allocation
// (its tasks failed for good on their node) is replaced on another node.
//
//	reschedule {
//	  attempts       = 3
//	  interval       = "1h"
//	  delay          = "30s"
//	  delay_function = "exponential"
//	  max_delay      = "10m"
//	  unlimited      = false
//	}
//
// On a job (for every group) or a group; the group's block wins field by
// field over the job's, which wins over the job type's default.
type ReschedulePolicy struct {
	// Attempts is how many reschedules are allowed within Interval. A
	// pointer so that an explicit 0 ("never reschedule") overrides a default.
	Attempts *int     `json:"attempts,omitempty"`
	Interval Duration `json:"interval,omitempty"`
	// Delay is the wait after the failure before the first reschedule;
	// DelayFunction makes it grow with each further one, up to MaxDelay.
	Delay         Duration `json:"delay,omitempty"`
	DelayFunction string   `json:"delay_function,omitempty"`
	MaxDelay      Duration `json:"max_delay,omitempty"`
	// Unlimited ignores Attempts and Interval. A pointer so that an
	// explicit false overrides the service default.
	Unlimited *bool `json:"unlimited,omitempty"`
}

// DefaultReschedulePolicy is Nomad's default per job type: services are
// rescheduled without limit after 30s, doubling up to 1h; batch work once
// in 24h after 5s. System and sysbatch jobs are not rescheduled (nil):
// they run one allocation per node.
func DefaultReschedulePolicy(jobType string) *ReschedulePolicy {
	switch jobType {
	case JobTypeService:
		unlimited, attempts := true, 0
		return &ReschedulePolicy{Attempts: &attempts, Unlimited: &unlimited,
			Delay: Duration(30 * time.Second), DelayFunction: DelayFunctionExponential, MaxDelay: Duration(time.Hour)}
	case JobTypeBatch:
		unlimited, attempts := false, 1
		return &ReschedulePolicy{Attempts: &attempts, Unlimited: &unlimited, Interval: Duration(24 * time.Hour),
			Delay: Duration(5 * time.Second), DelayFunction: DelayFunctionConstant, MaxDelay: Duration(time.Hour)}
	}
	return nil
}

// EffectiveReschedulePolicy merges the job type's default, the job's block
// and the group's block (either may be nil). Nil means "never reschedule".
func EffectiveReschedulePolicy(job *Job, tg *TaskGroup) *ReschedulePolicy {
	p := DefaultReschedulePolicy(job.Type)
	if p == nil {
		return nil
	}
	if IsRunJob(job) && job.Reschedule == nil && (tg == nil || tg.Reschedule == nil) {
		// A remote run runs once: its caller reads one exit code, and a
		// command with side effects must not be repeated behind its back.
		return nil
	}
	p.merge(job.Reschedule)
	if tg != nil {
		p.merge(tg.Reschedule)
	}
	return p
}

// merge overrides p with the fields o sets. Setting attempts without
// unlimited means "limited": otherwise the service default (unlimited)
// would silently ignore the attempts the user wrote.
func (p *ReschedulePolicy) merge(o *ReschedulePolicy) {
	if o == nil {
		return
	}
	if o.Attempts != nil {
		a := *o.Attempts
		p.Attempts = &a
		if o.Unlimited == nil {
			f := false
			p.Unlimited = &f
		}
	}
	if o.Unlimited != nil {
		u := *o.Unlimited
		p.Unlimited = &u
	}
	if o.Interval != 0 {
		p.Interval = o.Interval
	}
	if o.Delay != 0 {
		p.Delay = o.Delay
	}
	if o.DelayFunction != "" {
		p.DelayFunction = o.DelayFunction
	}
	if o.MaxDelay != 0 {
		p.MaxDelay = o.MaxDelay
	}
}

// IsUnlimited reports whether the policy ignores attempts.
func (p *ReschedulePolicy) IsUnlimited() bool { return p != nil && p.Unlimited != nil && *p.Unlimited }

// AttemptsOrZero is the allowed attempts (0 when unset).
func (p *ReschedulePolicy) AttemptsOrZero() int {
	if p == nil || p.Attempts == nil {
		return 0
	}
	return *p.Attempts
}

// Enabled reports whether the policy reschedules at all.
func (p *ReschedulePolicy) Enabled() bool {
	return p != nil && (p.IsUnlimited() || p.AttemptsOrZero() > 0)
}

// Validate checks the fields the block sets.
func (p *ReschedulePolicy) Validate() error {
	if p == nil {
		return nil
	}
	v := &ValidationError{}
	if p.Attempts != nil && *p.Attempts < 0 {
		v.Add("", "attempts must not be negative (got %d)", *p.Attempts)
	}
	for _, d := range []struct {
		name string
		val  Duration
	}{{"interval", p.Interval}, {"delay", p.Delay}, {"max_delay", p.MaxDelay}} {
		if d.val < 0 {
			v.Add("", "%s must not be negative (got %s)", d.name, time.Duration(d.val))
		}
	}
	switch p.DelayFunction {
	case "", DelayFunctionConstant, DelayFunctionExponential, DelayFunctionFibonacci:
	default:
		v.Add("", "delay_function %q is unknown: use constant, exponential or fibonacci", p.DelayFunction)
	}
	if p.MaxDelay > 0 && p.Delay > p.MaxDelay {
		v.Add("", "delay (%s) must not be longer than max_delay (%s)", time.Duration(p.Delay), time.Duration(p.MaxDelay))
	}
	if p.IsUnlimited() && p.Attempts != nil && *p.Attempts > 0 {
		v.Add("", "attempts = %d has no effect with unlimited = true: remove one of them", *p.Attempts)
	}
	if p.Interval > 0 && p.Attempts != nil && *p.Attempts > 0 && !p.IsUnlimited() && p.Interval < p.Delay {
		v.Add("", "interval (%s) must not be shorter than delay (%s): no attempt could fall within it",
			time.Duration(p.Interval), time.Duration(p.Delay))
	}
	return v.ErrorOrNil()
}

// Copy returns a copy.
func (p *ReschedulePolicy) Copy() *ReschedulePolicy {
	if p == nil {
		return nil
	}
	c := *p
	if p.Attempts != nil {
		a := *p.Attempts
		c.Attempts = &a
	}
	if p.Unlimited != nil {
		u := *p.Unlimited
		c.Unlimited = &u
	}
	return &c
}

// RescheduleEvent records one reschedule: when, from which allocation and
// node, and the delay that was waited.
type RescheduleEvent struct {
	RescheduleTime int64    `json:"reschedule_time"` // unix nanoseconds
	PrevAllocID    string   `json:"prev_alloc_id"`
	PrevNodeID     string   `json:"prev_node_id"`
	Delay          Duration `json:"delay"`
}

// RescheduleTracker is the history of reschedules behind an allocation.
type RescheduleTracker struct {
	Events []*RescheduleEvent `json:"events"`
}

// Copy returns a deep copy.
func (t *RescheduleTracker) Copy() *RescheduleTracker {
	if t == nil {
		return nil
	}
	c := &RescheduleTracker{Events: make([]*RescheduleEvent, len(t.Events))}
	for i, e := range t.Events {
		ec := *e
		c.Events[i] = &ec
	}
	return c
}

// maxRescheduleEvents bounds a tracker: an unlimited policy would otherwise
// grow it forever. The newest events are kept (the delay grows from them).
const maxRescheduleEvents = 50

// attemptsWithin counts the reschedules since `since` (all when zero).
func (t *RescheduleTracker) attemptsWithin(since int64) int {
	if t == nil {
		return 0
	}
	n := 0
	for _, e := range t.Events {
		if e.RescheduleTime > since {
			n++
		}
	}
	return n
}

// RescheduleEligible reports whether a failed allocation with this history
// may be rescheduled at `now` under the policy, and if not, why.
func (p *ReschedulePolicy) RescheduleEligible(t *RescheduleTracker, now time.Time) (bool, string) {
	switch {
	case !p.Enabled():
		return false, "rescheduling is disabled"
	case p.IsUnlimited():
		return true, ""
	}
	since := int64(0)
	if p.Interval > 0 {
		since = now.Add(-p.Interval.Std()).UnixNano()
	}
	used := t.attemptsWithin(since)
	if used >= p.AttemptsOrZero() {
		return false, fmt.Sprintf("reschedule attempts exhausted (%d of %d within %s)", used, p.AttemptsOrZero(), p.Interval.Std())
	}
	return true, ""
}

// NextDelay is the wait before the next reschedule of an allocation with
// this history: the base delay, grown by the delay function with every
// earlier reschedule, capped at max_delay.
func (p *ReschedulePolicy) NextDelay(t *RescheduleTracker) time.Duration {
	var prev []*RescheduleEvent
	if t != nil {
		prev = t.Events
	}
	// Without a cap the growth still stops at a year, before it overflows.
	limit := 365 * 24 * time.Hour
	if p.MaxDelay > 0 {
		limit = p.MaxDelay.Std()
	}
	// A base above the limit would overflow when doubled or summed.
	base := min(p.Delay.Std(), limit)
	var d time.Duration
	switch p.DelayFunction {
	case DelayFunctionExponential:
		d = base
		for range prev {
			d *= 2
			if d >= limit {
				break
			}
		}
	case DelayFunctionFibonacci:
		a, b := base, base // delays of the first two reschedules
		for i := 1; i < len(prev); i++ {
			a, b = b, a+b
			if b >= limit {
				break
			}
		}
		d = b
	default:
		d = base
	}
	return min(d, limit)
}

// NextTracker is the history for the replacement of prev: prev's events
// plus this reschedule.
func NextTracker(prev *Allocation, delay time.Duration, now int64) *RescheduleTracker {
	t := prev.RescheduleTracker.Copy()
	if t == nil {
		t = &RescheduleTracker{}
	}
	t.Events = append(t.Events, &RescheduleEvent{
		RescheduleTime: now, PrevAllocID: prev.ID, PrevNodeID: prev.NodeID, Delay: Duration(delay),
	})
	if len(t.Events) > maxRescheduleEvents {
		t.Events = t.Events[len(t.Events)-maxRescheduleEvents:]
	}
	return t
}

// FailedAt is when a failed allocation failed: the last finish of its
// tasks, or its last modification when no task reported one.
func (a *Allocation) FailedAt() int64 {
	var last int64
	for _, s := range a.TaskStates {
		if s != nil && s.FinishedAt > last {
			last = s.FinishedAt
		}
	}
	if last == 0 {
		last = a.ModifyTime
	}
	return last
}

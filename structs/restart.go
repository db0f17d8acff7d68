package structs

import (
	"fmt"
	"time"
)

// Restart modes: what a task does once it used up its attempts within the
// interval.
const (
	// RestartModeFail stops restarting: the task is dead and failed.
	RestartModeFail = "fail"
	// RestartModeDelay waits for the interval to end, then starts a new
	// round of attempts.
	RestartModeDelay = "delay"
)

// Exit actions (App Mesh's per-exit-code behaviour).
const (
	// ExitActionRestart restarts under the restart policy (the default).
	ExitActionRestart = "restart"
	// ExitActionStandby leaves the task stopped, not failed.
	ExitActionStandby = "standby"
	// ExitActionKeepalive restarts at once, ignoring the restart policy.
	ExitActionKeepalive = "keepalive"
	// ExitActionRemove stops the allocation and asks the servers to stop
	// the task's whole job (Job.Deregister, no purge).
	ExitActionRemove = "remove"
)

// DefaultMaxRestartDelay caps the exponential back-off of a crash loop
// when the policy sets no max_delay.
const DefaultMaxRestartDelay = 5 * time.Minute

// RestartPolicy says how a task that exits is restarted on its node. It is
// set on a group (for all its tasks) and/or a task; the task's block wins
// field by field over the group's, which wins over the job type's default.
type RestartPolicy struct {
	// Attempts is how many restarts are allowed within Interval. A pointer
	// so that an explicit 0 ("never restart") overrides a default.
	Attempts *int     `json:"attempts,omitempty"`
	Interval Duration `json:"interval,omitempty"`
	// Delay is the wait before the first restart; it doubles on each
	// further restart of a crash loop, up to MaxDelay.
	Delay    Duration `json:"delay,omitempty"`
	MaxDelay Duration `json:"max_delay,omitempty"`
	Mode     string   `json:"mode,omitempty"`
	// OnExit picks an action per exit code; codes not listed restart under
	// the policy.
	OnExit []*ExitAction `json:"on_exit,omitempty" hcl:"on_exit,block"`
	// RenderTemplates renders the task's templates again before each
	// restart; by default a restart keeps the files as last rendered.
	RenderTemplates *bool `json:"render_templates,omitempty"`
}

// ExitAction is one `on_exit { code = N  action = "..." }` block.
type ExitAction struct {
	Code   int    `json:"code"`
	Action string `json:"action"`
}

// DefaultRestartPolicy is the policy of a job type: services restart 2
// times in 30 minutes, batch work 3 times in 24 hours, both after 15s.
func DefaultRestartPolicy(jobType string) *RestartPolicy {
	attempts, interval := 2, 30*time.Minute
	if jobType == JobTypeBatch || jobType == JobTypeSysBatch {
		attempts, interval = 3, 24*time.Hour
	}
	return &RestartPolicy{
		Attempts: &attempts,
		Interval: Duration(interval),
		Delay:    Duration(15 * time.Second),
		MaxDelay: Duration(DefaultMaxRestartDelay),
		Mode:     RestartModeFail,
	}
}

// EffectiveRestartPolicy merges the job type's default, the group's block
// and the task's block (either may be nil).
func EffectiveRestartPolicy(jobType string, group, task *RestartPolicy) *RestartPolicy {
	p := DefaultRestartPolicy(jobType)
	p.merge(group)
	p.merge(task)
	return p
}

// merge overlays the fields o sets.
func (p *RestartPolicy) merge(o *RestartPolicy) {
	if o == nil {
		return
	}
	if o.Attempts != nil {
		n := *o.Attempts
		p.Attempts = &n
	}
	if o.Interval != 0 {
		p.Interval = o.Interval
	}
	if o.Delay != 0 {
		p.Delay = o.Delay
	}
	if o.MaxDelay != 0 {
		p.MaxDelay = o.MaxDelay
	}
	if o.Mode != "" {
		p.Mode = o.Mode
	}
	if len(o.OnExit) > 0 {
		p.OnExit = o.OnExit
	}
	if o.RenderTemplates != nil {
		b := *o.RenderTemplates
		p.RenderTemplates = &b
	}
}

// RendersTemplates reports whether templates are rendered again on restart.
func (p *RestartPolicy) RendersTemplates() bool {
	return p != nil && p.RenderTemplates != nil && *p.RenderTemplates
}

// AttemptsOr returns Attempts, or def when unset.
func (p *RestartPolicy) AttemptsOr(def int) int {
	if p == nil || p.Attempts == nil {
		return def
	}
	return *p.Attempts
}

// ExitActionFor returns the action configured for an exit code, or
// ExitActionRestart.
func (p *RestartPolicy) ExitActionFor(code int) string {
	if p != nil {
		for _, a := range p.OnExit {
			if a != nil && a.Code == code {
				return a.Action
			}
		}
	}
	return ExitActionRestart
}

// Validate checks the fields that are set; problems name the field.
func (p *RestartPolicy) Validate() error {
	v := &ValidationError{}
	if p == nil {
		return nil
	}
	if p.Attempts != nil && *p.Attempts < 0 {
		v.Add("", "attempts must not be negative (got %d)", *p.Attempts)
	}
	if p.Interval < 0 {
		v.Add("", "interval must not be negative (got %s)", p.Interval.Std())
	}
	if p.Delay < 0 {
		v.Add("", "delay must not be negative (got %s)", p.Delay.Std())
	}
	if p.MaxDelay < 0 {
		v.Add("", "max_delay must not be negative (got %s)", p.MaxDelay.Std())
	}
	if p.MaxDelay > 0 && p.Delay > p.MaxDelay {
		v.Add("", "delay (%s) must not be longer than max_delay (%s)", p.Delay.Std(), p.MaxDelay.Std())
	}
	switch p.Mode {
	case "", RestartModeFail, RestartModeDelay:
	default:
		v.Add("", "mode %q is invalid: must be %q or %q", p.Mode, RestartModeFail, RestartModeDelay)
	}
	validateExitActions(v, p.OnExit)
	return v.ErrorOrNil()
}

func validateExitActions(v *ValidationError, actions []*ExitAction) {
	seen := map[int]bool{}
	for i, a := range actions {
		prefix := fmt.Sprintf("on_exit %d", i+1)
		if a == nil {
			v.Add(prefix, "empty block")
			continue
		}
		if a.Code < 0 || a.Code > 255 {
			v.Add(prefix, "code must be an exit code between 0 and 255 (got %d)", a.Code)
		}
		if seen[a.Code] {
			v.Add(prefix, "code %d is listed more than once", a.Code)
		}
		seen[a.Code] = true
		switch a.Action {
		case ExitActionRestart, ExitActionStandby, ExitActionKeepalive, ExitActionRemove:
		default:
			v.Add(prefix, "action %q is invalid: must be one of restart, standby, keepalive, remove", a.Action)
		}
	}
}

// Copy returns a deep copy.
func (p *RestartPolicy) Copy() *RestartPolicy {
	if p == nil {
		return nil
	}
	c := *p
	if p.Attempts != nil {
		n := *p.Attempts
		c.Attempts = &n
	}
	if p.RenderTemplates != nil {
		b := *p.RenderTemplates
		c.RenderTemplates = &b
	}
	if p.OnExit != nil {
		c.OnExit = make([]*ExitAction, len(p.OnExit))
		for i, a := range p.OnExit {
			if a != nil {
				ac := *a
				c.OnExit[i] = &ac
			}
		}
	}
	return &c
}

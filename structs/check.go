package structs

import (
	"fmt"
	"strconv"
	"time"
)

// Check types.
const (
	CheckTypeScript = "script"
	CheckTypeHTTP   = "http"
	CheckTypeTCP    = "tcp"
)

// Health of a task and status of one check.
const (
	HealthHealthy   = "healthy"
	HealthUnhealthy = "unhealthy"
)

// Defaults of a check.
const (
	DefaultCheckInterval = 10 * time.Second
	DefaultCheckTimeout  = 2 * time.Second
)

// Check is a task's `check` block: a health check the client runs while
// the task runs. script runs Command with Args inside the task; http GETs
// Path on 127.0.0.1:Port; tcp connects to 127.0.0.1:Port. Port is a port
// label of the group's network block or a port number. The Consul
// integration registers the same checks.
type Check struct {
	Name         string        `json:"name,omitempty"`
	Type         string        `json:"type"`
	Command      string        `json:"command,omitempty"`
	Args         []string      `json:"args,omitempty"`
	Path         string        `json:"path,omitempty"`
	Protocol     string        `json:"protocol,omitempty"` // http (default) or https
	Port         string        `json:"port,omitempty"`
	Interval     Duration      `json:"interval,omitempty"`
	Timeout      Duration      `json:"timeout,omitempty"`
	CheckRestart *CheckRestart `json:"check_restart,omitempty" hcl:"check_restart,block"`
	// Task runs a group service's script check inside that task of the
	// group (a group has no process of its own to run it in).
	Task string `json:"task,omitempty"`
	// OnUpdate is Nomad's say in deployments: require_healthy (default),
	// ignore_warnings or ignore. A task check with "ignore" does not judge
	// the allocation's deployment health (check_on_update.go); service
	// checks (Consul, the built-in catalog) never do.
	OnUpdate string `json:"on_update,omitempty"`
	// Expose is Nomad's Consul Connect exposure of the check's path; appmesh
	// has no Connect, so only false is accepted.
	Expose bool `json:"expose,omitempty"`

	// Method, Header and Body shape an http check's request (GET with no
	// body by default), as in Nomad's check block.
	Method string              `json:"method,omitempty"`
	Header map[string][]string `json:"header,omitempty"`
	Body   string              `json:"body,omitempty"`
	// TLSSkipVerify is Nomad's switch for https checks. The client's own
	// probes of a local task never verify the certificate (they dial
	// 127.0.0.1, which task certificates rarely name); the flag is handed
	// to Consul, which does verify, for service checks.
	TLSSkipVerify bool `json:"tls_skip_verify,omitempty"`
	// SuccessBeforePassing and FailuresBeforeCritical damp flapping: a
	// check turns healthy only after that many consecutive passes and
	// unhealthy only after that many consecutive failures (0 and 1 both
	// mean at once). Before its first verdict a check counts from "".
	SuccessBeforePassing   int `json:"success_before_passing,omitempty"`
	FailuresBeforeCritical int `json:"failures_before_critical,omitempty"`
}

// CheckRestart restarts the task after Limit consecutive failures of the
// check, ignoring failures during Grace after the task started.
type CheckRestart struct {
	Limit int      `json:"limit"`
	Grace Duration `json:"grace,omitempty"`
}

// IntervalOr returns the interval, or the default.
func (c *Check) IntervalOr() time.Duration {
	if c.Interval > 0 {
		return c.Interval.Std()
	}
	return DefaultCheckInterval
}

// TimeoutOr returns the timeout, or the default.
func (c *Check) TimeoutOr() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout.Std()
	}
	return DefaultCheckTimeout
}

// DisplayName is the check's name, or a name made from its type.
func (c *Check) DisplayName(i int) string {
	if c.Name != "" {
		return c.Name
	}
	return fmt.Sprintf("%s-%d", c.Type, i+1)
}

// Validate checks one check; problems name the field.
func (c *Check) Validate() error {
	v := &ValidationError{}
	switch c.Type {
	case CheckTypeScript:
		if c.Command == "" {
			v.Add("", "command is required for a script check")
		}
	case CheckTypeHTTP, CheckTypeTCP:
		if c.Port == "" {
			v.Add("", "port is required for a %s check (a port label or number)", c.Type)
		} else if n, err := strconv.Atoi(c.Port); err == nil && (n < 1 || n > 65535) {
			v.Add("", "port %d is out of range 1-65535", n)
		}
	default:
		v.Add("", "type %q is invalid: must be script, http or tcp", c.Type)
	}
	switch c.Protocol {
	case "", "http", "https":
	default:
		v.Add("", "protocol %q is invalid: must be http or https", c.Protocol)
	}
	if c.Interval < 0 || c.Timeout < 0 {
		v.Add("", "interval and timeout must not be negative")
	}
	if r := c.CheckRestart; r != nil && (r.Limit < 0 || r.Grace < 0) {
		v.Add("check_restart", "limit and grace must not be negative")
	}
	validateCheckNomadFields(v, c)
	return v.ErrorOrNil()
}

// validateChecks checks a task's checks and that their names are unique.
func validateChecks(v *ValidationError, checks []*Check) {
	seen := map[string]bool{}
	for i, c := range checks {
		prefix := fmt.Sprintf("check %d", i+1)
		if c == nil {
			v.Add(prefix, "empty block")
			continue
		}
		v.Merge(prefix, c.Validate())
		name := c.DisplayName(i)
		if seen[name] {
			v.Add(prefix, "name %q is used by more than one check", name)
		}
		seen[name] = true
	}
}

// Copy returns a deep copy; nil stays nil.
func (c *Check) Copy() *Check {
	if c == nil {
		return nil
	}
	cc := *c
	cc.Args = append([]string(nil), c.Args...)
	if c.Header != nil {
		cc.Header = make(map[string][]string, len(c.Header))
		for k, v := range c.Header {
			cc.Header[k] = append([]string(nil), v...)
		}
	}
	if c.CheckRestart != nil {
		r := *c.CheckRestart
		cc.CheckRestart = &r
	}
	return &cc
}

// CheckStatus is the last result of one check, on the task's state.
type CheckStatus struct {
	Name   string `json:"name"`
	Status string `json:"status"` // healthy, unhealthy, or "" before the first run
	Output string `json:"output,omitempty"`
	Time   int64  `json:"time,omitempty"` // unix nanoseconds of the result
}

// AllocHealth derives an allocation's health from its task states: nil
// when no task has checks or some checked task has no verdict yet, false
// when any task is unhealthy, true when every checked task is healthy.
func AllocHealth(states map[string]*TaskState) *bool {
	checked, healthy := 0, 0
	for _, s := range states {
		if s == nil || len(s.Checks) == 0 {
			continue
		}
		checked++
		switch s.Health {
		case HealthUnhealthy:
			f := false
			return &f
		case HealthHealthy:
			healthy++
		}
	}
	if checked == 0 || healthy < checked {
		return nil
	}
	t := true
	return &t
}

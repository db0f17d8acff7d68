package structs

import (
	"fmt"
	"regexp"
	"time"
)

var validTaskName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.\-]{0,127}$`)

const (
	DefaultKillTimeout = 5 * time.Second
	DefaultTaskCPU     = 100 // MHz
	DefaultTaskMemory  = 300 // MB
)

// Task is one program run by a driver.
type Task struct {
	Name        string            `json:"name" hcl:",label"`
	Driver      string            `json:"driver"`
	User        string            `json:"user,omitempty"`
	Config      map[string]any    `json:"config,omitempty" hcl:"config,block"`
	Env         map[string]string `json:"env,omitempty"`
	Resources   *Resources        `json:"resources,omitempty" hcl:"resources,block"`
	KillTimeout Duration          `json:"kill_timeout,omitempty"`
	KillSignal  string            `json:"kill_signal,omitempty"`
	Meta        map[string]string `json:"meta,omitempty"`
	// Restart overrides the group's restart policy field by field.
	Restart *RestartPolicy `json:"restart,omitempty" hcl:"restart,block"`
	Logs    *LogConfig     `json:"logs,omitempty" hcl:"logs,block"`
	// DailyWindow limits the task to a time of day (see window.go).
	DailyWindow *DailyWindow `json:"daily_window,omitempty" hcl:"daily_window,block"`
	// Checks are health checks run by the client (see check.go).
	Checks []*Check `json:"checks,omitempty" hcl:"check,block"`
	// Services are registered with Consul while the task runs (service.go).
	Services []*Service `json:"services,omitempty" hcl:"service,block"`
	// ShutdownDelay is the pause between deregistering the task's services
	// and killing it, so that clients stop sending it traffic first.
	ShutdownDelay Duration `json:"shutdown_delay,omitempty"`
	// Upstreams are other services the task finds through Consul.
	Upstreams []*Upstream `json:"upstreams,omitempty" hcl:"upstream,block"`
	// Artifacts are fetched into the task's directory before it starts
	// (artifact.go).
	Artifacts []*TaskArtifact `json:"artifacts,omitempty" hcl:"artifact,block"`
	// VolumeMounts place the group's volumes in the task's filesystem
	// (volume.go).
	VolumeMounts []*VolumeMount `json:"volume_mounts,omitempty" hcl:"volume_mount,block"`
	// Lifecycle makes the task run before, beside or after the group's
	// main tasks (lifecycle.go); nil: a main task.
	Lifecycle *TaskLifecycle `json:"lifecycle,omitempty" hcl:"lifecycle,block"`
	// Templates are rendered into the task's directory before it starts
	// and kept current while it runs (template.go).
	Templates []*Template `json:"templates,omitempty" hcl:"template,block"`
	// Identities give the task JWTs signed by the cluster's key
	// (identity.go).
	Identities []*WorkloadIdentity `json:"identities,omitempty" hcl:"identity,block"`
	// DispatchPayload names the file under local/ that receives a
	// dispatched job's payload; nil: local/payload (dispatch_payload.go).
	DispatchPayload *DispatchPayloadConfig `json:"dispatch_payload,omitempty" hcl:"dispatch_payload,block"`
	// Leader, on at most one task of a group: when it ends for good, the
	// client stops the group's other tasks (poststop tasks still run).
	Leader bool `json:"leader,omitempty"`
	// Kind marks a task the servers added: "connect-proxy:<service>" is
	// the sidecar proxy of a connect service (connect_inject.go).
	Kind string `json:"kind,omitempty" hcl:"-"`
}

// Canonicalize fills in defaults for the task.
func (t *Task) Canonicalize(job *Job, g *TaskGroup) {
	if t.Resources == nil {
		t.Resources = &Resources{}
	}
	if t.Resources.CPU == 0 {
		t.Resources.CPU = DefaultTaskCPU
	}
	if t.Resources.MemoryMB == 0 {
		t.Resources.MemoryMB = DefaultTaskMemory
	}
	if t.KillTimeout == 0 {
		t.KillTimeout = Duration(DefaultKillTimeout)
	}
	if t.Logs == nil {
		t.Logs = &LogConfig{}
	}
	t.Logs.Canonicalize()
	for _, s := range t.Services {
		s.Canonicalize(job.ID + "-" + g.Name + "-" + t.Name)
	}
	for _, u := range t.Upstreams {
		u.Canonicalize()
	}
}

// Validate checks the task; problems are relative to the task.
func (t *Task) Validate() error {
	v := &ValidationError{}
	if !validTaskName.MatchString(t.Name) {
		v.Add("", "name %q is invalid: use letters, digits, '_', '-' and '.'", t.Name)
	}
	if t.Driver == "" {
		v.Add("", "driver is required")
	}
	if t.ShutdownDelay < 0 {
		v.Add("", "shutdown_delay must not be negative")
	}
	validateUpstreams(v, t.Upstreams)
	v.Merge("dispatch_payload", t.DispatchPayload.Validate())
	if t.KillTimeout < 0 {
		v.Add("", "kill_timeout must not be negative")
	}
	if t.Resources != nil {
		v.Merge("resources", t.Resources.Validate())
	}
	if t.Logs != nil {
		v.Merge("logs", t.Logs.Validate())
	}
	if t.Restart != nil {
		v.Merge("restart", t.Restart.Validate())
	}
	if t.DailyWindow != nil {
		v.Merge("daily_window", t.DailyWindow.Validate())
	}
	validateChecks(v, t.Checks)
	validateArtifacts(v, t.Artifacts)
	if t.Lifecycle != nil {
		v.Merge("lifecycle", t.Lifecycle.Validate())
	}
	validateTemplates(v, t.Templates)
	validateIdentities(v, t.Identities)
	return v.ErrorOrNil()
}

// Copy returns a deep copy of the task. Config values are treated as
// immutable once decoded, so the map itself is copied shallowly.
func (t *Task) Copy() *Task {
	if t == nil {
		return nil
	}
	c := *t
	if t.Config != nil {
		c.Config = make(map[string]any, len(t.Config))
		for k, v := range t.Config {
			c.Config[k] = v
		}
	}
	c.Env = copyStringMap(t.Env)
	c.Meta = copyStringMap(t.Meta)
	if t.Resources != nil {
		r := *t.Resources
		c.Resources = &r
	}
	c.Logs = t.Logs.Copy()
	c.Restart = t.Restart.Copy()
	c.DailyWindow = t.DailyWindow.Copy()
	c.Services = CopyServices(t.Services)
	c.Upstreams = CopyUpstreams(t.Upstreams)
	c.Artifacts = copyArtifacts(t.Artifacts)
	c.VolumeMounts = copyVolumeMounts(t.VolumeMounts)
	c.Lifecycle = t.Lifecycle.Copy()
	if t.DispatchPayload != nil {
		d := *t.DispatchPayload
		c.DispatchPayload = &d
	}
	c.Templates = copyTemplates(t.Templates)
	c.Identities = copyIdentities(t.Identities)
	if t.Checks != nil {
		c.Checks = make([]*Check, len(t.Checks))
		for i, ck := range t.Checks {
			c.Checks[i] = ck.Copy()
		}
	}
	return &c
}

// String names the task for logs.
func (t *Task) String() string { return fmt.Sprintf("task %q (%s)", t.Name, t.Driver) }

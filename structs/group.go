package structs

import (
	"encoding/json"
	"fmt"
)

// TaskGroup is a set of tasks placed together on one node; `count` copies of
// it run in the cluster.
type TaskGroup struct {
	Name        string            `json:"name" hcl:",label"`
	Count       int               `json:"count"`
	Constraints []*Constraint     `json:"constraints,omitempty" hcl:"constraint,block"`
	Tasks       []*Task           `json:"tasks" hcl:"task,block"`
	Meta        map[string]string `json:"meta,omitempty"`
	// Phase 2 scheduling: ports, soft preferences, spread, update strategy.
	Network    *NetworkResource `json:"network,omitempty" hcl:"network,block"`
	Affinities []*Affinity      `json:"affinities,omitempty" hcl:"affinity,block"`
	Spreads    []*Spread        `json:"spreads,omitempty" hcl:"spread,block"`
	Update     *UpdateStrategy  `json:"update,omitempty" hcl:"update,block"`
	// Restart applies to every task of the group unless a task has its own.
	Restart *RestartPolicy `json:"restart,omitempty" hcl:"restart,block"`
	// Reschedule wins field by field over the job's block (structs/reschedule.go).
	Reschedule *ReschedulePolicy `json:"reschedule,omitempty" hcl:"reschedule,block"`
	// Services are registered with Consul while the allocation runs.
	Services []*Service `json:"services,omitempty" hcl:"service,block"`
	// Volumes are the host volumes the group's tasks may mount
	// (volume.go); the scheduler places the group only where they exist.
	Volumes []*VolumeRequest `json:"volumes,omitempty" hcl:"volume,block"`
	// EphemeralDisk is the allocation directory's scheduled size and
	// whether its data follows a replacement (volume.go).
	EphemeralDisk *EphemeralDisk `json:"ephemeral_disk,omitempty" hcl:"ephemeral_disk,block"`
	// Scaling bounds `appmesh job scale` (scaling.go).
	Scaling *ScalingPolicy `json:"scaling,omitempty" hcl:"scaling,block"`
	// Migrate paces node drains (scaling.go, server/scheduler/drain_migrate.go).
	Migrate *MigrateStrategy `json:"migrate,omitempty" hcl:"migrate,block"`
	// MaxClientDisconnect and Disconnect keep the allocations of a node
	// that stops heartbeating unknown, not lost, for a while (disconnect.go).
	MaxClientDisconnect *Duration           `json:"max_client_disconnect,omitempty"`
	Disconnect          *DisconnectStrategy `json:"disconnect,omitempty" hcl:"disconnect,block"`
	// PreventRescheduleOnLost keeps such allocations unknown, and not
	// replaced, until their node returns (or the window ends).
	PreventRescheduleOnLost bool `json:"prevent_reschedule_on_lost,omitempty"`
	// StopAfterClientDisconnect has the client stop the group's
	// allocations once it has not reached the servers for that long.
	StopAfterClientDisconnect *Duration `json:"stop_after_client_disconnect,omitempty"`
	// MaxRunDuration bounds how long a batch or sysbatch allocation may
	// run, counted from when its alloc runner starts (max_run_duration.go).
	MaxRunDuration *Duration `json:"max_run_duration,omitempty"`
}

// UnmarshalJSON defaults count to 1 when the key is absent, so that an
// explicit `"count": 0` (scale to zero) stays distinguishable.
func (g *TaskGroup) UnmarshalJSON(b []byte) error {
	type plain TaskGroup
	p := plain{Count: 1}
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*g = TaskGroup(p)
	return nil
}

// Canonicalize fills in defaults for the group and its tasks.
func (g *TaskGroup) Canonicalize(job *Job) {
	for _, s := range g.Services {
		s.Canonicalize(job.ID + "-" + g.Name)
	}
	// The proxies need the services' names and get the tasks' defaults.
	g.InjectConnectSidecars(job)
	for _, t := range g.Tasks {
		t.Canonicalize(job, g)
	}
	if g.Scaling != nil && g.Scaling.Min == nil && g.Scaling.Max != nil {
		// As in Nomad, min is the count the group was submitted with.
		lo := g.Count
		g.Scaling.Min = &lo
	}
}

// Validate checks the group; problems are relative to the group.
func (g *TaskGroup) Validate(job *Job) error {
	v := &ValidationError{}
	if g.Count < 0 {
		v.Add("", "count must not be negative (got %d)", g.Count)
	}
	for i, c := range g.Constraints {
		v.Merge(fmt.Sprintf("constraint %d", i+1), c.Validate())
	}
	v.Merge("network", g.Network.Validate())
	v.Merge("update", g.Update.Validate())
	v.Merge("restart", g.Restart.Validate())
	v.Merge("reschedule", g.Reschedule.Validate())
	v.Merge("scaling", g.Scaling.Validate(g.Count))
	v.Merge("migrate", g.Migrate.Validate())
	validateDisconnect(v, g)
	validateMaxRunDuration(v, job, g)
	validateAffinitiesSpreads(v, g.Affinities, g.Spreads)
	v.Merge("ephemeral_disk", g.EphemeralDisk.Validate())
	validateVolumes(v, g)
	if len(g.Tasks) == 0 {
		v.Add("", "group must have at least one task")
	}
	seen := map[string]bool{}
	for i, t := range g.Tasks {
		if t.Name == "" {
			v.Add(fmt.Sprintf("task %d", i+1), "name is required")
			continue
		}
		if seen[t.Name] {
			v.Add(fmt.Sprintf("task %q", t.Name), "defined more than once")
		}
		seen[t.Name] = true
		v.Merge(fmt.Sprintf("task %q", t.Name), t.Validate())
		tv := &ValidationError{}
		validateServices(tv, t.Services, g.Network)
		v.Merge(fmt.Sprintf("task %q", t.Name), tv.ErrorOrNil())
	}
	validateServices(v, g.Services, g.Network)
	validateLifecycles(v, g.Tasks)
	validateLeader(v, g.Tasks)
	validateGroupCheckTasks(v, g)
	validateGroupConnect(v, g)
	return v.ErrorOrNil()
}

// LookupTask returns the task with the given name or nil.
func (g *TaskGroup) LookupTask(name string) *Task {
	for _, t := range g.Tasks {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// Resources sums what the group's tasks ask for.
func (g *TaskGroup) Resources() *Resources {
	r := &Resources{}
	for _, t := range g.Tasks {
		r.Add(t.Resources)
	}
	if g.EphemeralDisk != nil {
		r.DiskMB += g.EphemeralDisk.SizeMB
	}
	return r
}

// Copy returns a deep copy of the group.
func (g *TaskGroup) Copy() *TaskGroup {
	if g == nil {
		return nil
	}
	c := *g
	c.Constraints = append([]*Constraint(nil), g.Constraints...)
	c.Tasks = make([]*Task, len(g.Tasks))
	for i, t := range g.Tasks {
		c.Tasks[i] = t.Copy()
	}
	c.Meta = copyStringMap(g.Meta)
	c.Network = g.Network.Copy()
	c.Update = g.Update.Copy()
	c.Restart = g.Restart.Copy()
	c.Reschedule = g.Reschedule.Copy()
	c.Services = CopyServices(g.Services)
	c.Volumes = copyVolumes(g.Volumes)
	c.EphemeralDisk = g.EphemeralDisk.Copy()
	c.Scaling = g.Scaling.Copy()
	c.Migrate = g.Migrate.Copy()
	if g.MaxClientDisconnect != nil {
		d := *g.MaxClientDisconnect
		c.MaxClientDisconnect = &d
	}
	c.Disconnect = g.Disconnect.Copy()
	if g.StopAfterClientDisconnect != nil {
		d := *g.StopAfterClientDisconnect
		c.StopAfterClientDisconnect = &d
	}
	if g.MaxRunDuration != nil {
		d := *g.MaxRunDuration
		c.MaxRunDuration = &d
	}
	c.Affinities = append([]*Affinity(nil), g.Affinities...)
	c.Spreads = append([]*Spread(nil), g.Spreads...)
	return &c
}

package structs

import (
	"cmp"
	"crypto/sha256"
	"fmt"
	"slices"
	"time"
)

// A deployment is the rollout of one version of a service job that has an
// update block. appmesh keeps no separate deployment record: the outcome
// lives on the job version (Stable, UpdateFailure, Promoted, ProgressTime:
// JobRolloutEntry) and the progress in its allocations (Healthy, Canary).
// A Deployment is the view built from both (DeploymentOf), in the shape
// and with the field names of Nomad's deployment API.

// Deployment statuses.
const (
	DeploymentRunning    = "running"
	DeploymentSuccessful = "successful"
	DeploymentFailed     = "failed"
	DeploymentCancelled  = "cancelled"
)

// Deployment status descriptions.
const (
	DeploymentDescRunning   = "Deployment is running"
	DeploymentDescPromotion = "Deployment is running but requires manual promotion"
	DeploymentDescAuto      = "Deployment is running; canaries are promoted automatically once healthy"
	DeploymentDescOK        = "Deployment completed successfully"
	DeploymentDescNewer     = "Cancelled because a newer version of the job was registered"
	DeploymentDescStopped   = "Cancelled because the job is stopped"
)

// Deployment is the rollout of one job version.
type Deployment struct {
	ID                string
	Namespace         string
	JobID             string
	JobVersion        uint64
	JobCreateIndex    uint64
	Status            string
	StatusDescription string
	TaskGroups        map[string]*DeploymentState
	// IsMultiregion is always false (one region per cluster); it keeps
	// Nomad clients that read it happy.
	IsMultiregion bool
	CreateTime    int64
	ModifyIndex   uint64
}

// DeploymentState is one group's part of a deployment.
type DeploymentState struct {
	AutoRevert        bool
	AutoPromote       bool
	ProgressDeadline  time.Duration
	RequireProgressBy time.Time
	Promoted          bool
	DesiredCanaries   int
	// PlacedCanaries are the IDs of the group's canaries.
	PlacedCanaries  []string
	HealthyCanaries int `json:"-"`
	DesiredTotal    int
	PlacedAllocs    int
	HealthyAllocs   int
	UnhealthyAllocs int
}

// DeploymentID is the ID of the deployment of one job version: derived,
// so that every server names it alike without storing it.
func DeploymentID(namespace, jobID string, createIndex, version uint64) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s\x00%s\x00%d\x00%d", namespace, jobID, createIndex, version)))
	b := sum[:16]
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// HasDeployment reports whether a job version is rolled out as a
// deployment: a service job with an update block in some group.
func HasDeployment(job *Job) bool {
	if job == nil || job.Type != JobTypeService {
		return false
	}
	for _, tg := range job.Groups {
		if GroupUpdate(job, tg) != nil {
			return true
		}
	}
	return false
}

// DeploymentOf builds the deployment of version (one stored version of a
// job) from the job's current version and the allocations of the job.
func DeploymentOf(version, current *Job, allocs []*Allocation) *Deployment {
	d := &Deployment{
		ID:        DeploymentID(version.Namespace, version.ID, version.CreateIndex, version.Version),
		Namespace: version.Namespace, JobID: version.ID, JobVersion: version.Version,
		JobCreateIndex: version.CreateIndex, CreateTime: version.SubmitTime, ModifyIndex: version.ModifyIndex,
		TaskGroups: map[string]*DeploymentState{},
	}
	for _, tg := range version.Groups {
		u := GroupUpdate(version, tg)
		if u == nil {
			continue
		}
		d.TaskGroups[tg.Name] = &DeploymentState{AutoRevert: u.AutoRevert, AutoPromote: u.AutoPromote,
			ProgressDeadline: u.ProgressDeadline.Std(), Promoted: version.Promoted, DesiredTotal: tg.Count}
	}
	d.count(version, allocs)
	d.Status, d.StatusDescription = d.status(version, current)
	if by := ProgressDeadlineAt(version, allocs, d); !by.IsZero() && d.Status == DeploymentRunning {
		for _, g := range d.TaskGroups {
			if g.ProgressDeadline > 0 {
				g.RequireProgressBy = by
			}
		}
	}
	return d
}

// count fills the allocation counts of each group from the allocations
// of the version.
func (d *Deployment) count(version *Job, allocs []*Allocation) {
	allocs = slices.Clone(allocs)
	slices.SortFunc(allocs, func(a, b *Allocation) int { return cmp.Compare(a.CreateIndex, b.CreateIndex) })
	for _, a := range allocs {
		g := d.TaskGroups[a.TaskGroup]
		if g == nil || a.JobVersion != version.Version {
			continue
		}
		g.PlacedAllocs++
		healthy := a.Healthy != nil && *a.Healthy
		switch {
		case healthy && !a.TerminalStatus():
			g.HealthyAllocs++
		case a.ClientStatus == AllocClientFailed || (a.Healthy != nil && !*a.Healthy):
			g.UnhealthyAllocs++
		}
		if a.Canary {
			g.PlacedCanaries = append(g.PlacedCanaries, a.ID)
			if healthy && !a.TerminalStatus() {
				g.HealthyCanaries++
			}
		}
	}
	for _, tg := range version.Groups {
		if g := d.TaskGroups[tg.Name]; g != nil && len(g.PlacedCanaries) > 0 {
			g.DesiredCanaries = GroupUpdate(version, tg).Canaries()
		}
	}
}

// NeedsPromotion reports whether some group placed canaries that wait for
// the promotion.
func (d *Deployment) NeedsPromotion() bool {
	for _, g := range d.TaskGroups {
		if g.DesiredCanaries > 0 && !g.Promoted {
			return true
		}
	}
	return false
}

// CanariesHealthy reports whether every group that placed canaries has
// all of them placed and healthy (nothing to wait for but the promotion).
func (d *Deployment) CanariesHealthy() bool {
	some := false
	for _, g := range d.TaskGroups {
		if g.DesiredCanaries == 0 {
			continue
		}
		some = true
		if g.HealthyCanaries < g.DesiredCanaries {
			return false
		}
	}
	return some
}

// AutoPromote reports whether every group with canaries promotes them
// by itself (as in Nomad, one group without auto_promote holds all).
func (d *Deployment) AutoPromote() bool {
	for _, g := range d.TaskGroups {
		if g.DesiredCanaries > 0 && !g.AutoPromote {
			return false
		}
	}
	return true
}

func (d *Deployment) status(version, current *Job) (string, string) {
	switch {
	case version.UpdateFailure != "":
		return DeploymentFailed, version.UpdateFailure
	case version.Stable:
		return DeploymentSuccessful, DeploymentDescOK
	case current == nil || current.Version != version.Version:
		return DeploymentCancelled, DeploymentDescNewer
	case current.Stop:
		return DeploymentCancelled, DeploymentDescStopped
	case d.NeedsPromotion() && d.AutoPromote():
		return DeploymentRunning, DeploymentDescAuto
	case d.NeedsPromotion() && d.CanariesHealthy():
		return DeploymentRunning, DeploymentDescPromotion
	}
	return DeploymentRunning, DeploymentDescRunning
}

// ProgressDeadlineAt is when the version's update fails for lack of
// progress: the smallest progress_deadline of its groups after the latest
// progress (the version's submission or promotion, or an allocation of it
// turning healthy). Zero when no group has a progress_deadline, and while
// healthy canaries wait for a manual promotion (nothing can progress: the
// clock restarts at the promotion).
func ProgressDeadlineAt(version *Job, allocs []*Allocation, d *Deployment) time.Time {
	var deadline time.Duration
	for _, tg := range version.Groups {
		if u := GroupUpdate(version, tg); u != nil && u.ProgressDeadline > 0 && (deadline == 0 || u.ProgressDeadline.Std() < deadline) {
			deadline = u.ProgressDeadline.Std()
		}
	}
	if deadline == 0 || (d.NeedsPromotion() && d.CanariesHealthy() && !d.AutoPromote()) {
		return time.Time{}
	}
	last := max(version.SubmitTime, version.ProgressTime)
	for _, a := range allocs {
		if a.JobVersion == version.Version && a.HealthyTime > last {
			last = a.HealthyTime
		}
	}
	return time.Unix(0, last).Add(deadline)
}

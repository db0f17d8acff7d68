package server

import (
	"fmt"
	"time"

	"github.com/appmesh/appmesh/server/state"
	"github.com/appmesh/appmesh/structs"
)

// SetAllocHealth sets the health of allocations of a running deployment
// whose groups use health_check = "manual": the operator (or a tool) is
// the judge, the client reports none.
func (d *Deployment) SetAllocHealth(args *structs.DeploymentAllocHealthRequest, reply *structs.DeploymentUpdateResponse) error {
	if done, err := d.srv.forward(structs.DeploymentAllocHealthRPC, false, args, reply); done {
		return err
	}
	if len(args.HealthyAllocationIDs)+len(args.UnhealthyAllocationIDs) == 0 {
		return fmt.Errorf("invalid: give HealthyAllocationIDs or UnhealthyAllocationIDs")
	}
	job, dep, err := d.srv.runningDeployment(namespaceOf(args.Namespace), args.DeploymentID, "")
	if err != nil {
		return err
	}
	st := d.srv.State()
	now := time.Now().UnixNano()
	var updates []*structs.AllocStatusUpdate
	add := func(ids []string, healthy bool) error {
		for _, id := range ids {
			a, err := st.AllocByID(nil, id)
			if err != nil {
				return fmt.Errorf("read allocation %s: %w", id, err)
			}
			if a == nil || a.Namespace != job.Namespace || a.JobID != job.ID || a.JobVersion != job.Version {
				return fmt.Errorf("invalid: allocation %q is not part of deployment %s (job %q version %d)", id, structs.ShortID(dep.ID), job.ID, job.Version)
			}
			tg := job.LookupGroup(a.TaskGroup)
			if u := structs.GroupUpdate(job, tg); tg == nil || u == nil || u.HealthCheck != structs.UpdateHealthManual {
				return fmt.Errorf("invalid: allocation %s: group %q does not use health_check = \"manual\"; its client judges its health", structs.ShortID(id), a.TaskGroup)
			}
			h := healthy
			updates = append(updates, &structs.AllocStatusUpdate{ID: a.ID, ClientDescription: a.ClientDescription, Healthy: &h, ModifyTime: now})
		}
		return nil
	}
	if err := add(args.HealthyAllocationIDs, true); err != nil {
		return err
	}
	if err := add(args.UnhealthyAllocationIDs, false); err != nil {
		return err
	}
	evals, err := rollingUpdateEvals(st, updates)
	if err != nil {
		return err
	}
	index, err := d.srv.raftApply(structs.AllocClientUpdateRequestType, &structs.AllocClientUpdateEntry{Allocs: updates, Evals: evals})
	if err != nil {
		return fmt.Errorf("set health of %d allocation(s): %w", len(updates), err)
	}
	d.srv.rollouts.notify(d.srv.State(), updates)
	reply.DeploymentModifyIndex, reply.Index = index, index
	return nil
}

// keepManualHealth replaces, in client reports, the health of allocations
// whose group uses health_check = "manual" by the stored one: only
// SetAllocHealth judges them.
func keepManualHealth(st *state.StateStore, updates []*structs.AllocStatusUpdate) error {
	type versionKey struct {
		ns, id  string
		version uint64
	}
	jobs := map[versionKey]*structs.Job{} // a node reports many allocations of few jobs
	for _, u := range updates {
		a, err := st.AllocByID(nil, u.ID)
		if err != nil {
			return fmt.Errorf("read allocation %s: %w", u.ID, err)
		}
		if a == nil {
			continue
		}
		key := versionKey{a.Namespace, a.JobID, a.JobVersion}
		job, seen := jobs[key]
		if !seen {
			if job, err = st.JobByIDAndVersion(nil, a.Namespace, a.JobID, a.JobVersion); err != nil {
				return fmt.Errorf("read job %q: %w", a.JobID, err)
			}
			jobs[key] = job
		}
		if job == nil {
			continue
		}
		tg := job.LookupGroup(a.TaskGroup)
		if tg == nil {
			continue
		}
		if u2 := structs.GroupUpdate(job, tg); u2 != nil && u2.HealthCheck == structs.UpdateHealthManual {
			u.Healthy = a.Healthy
		}
	}
	return nil
}

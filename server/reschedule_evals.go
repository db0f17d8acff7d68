package server

import (
	"fmt"
	"time"

	"github.com/appmesh/appmesh/server/state"
	"github.com/appmesh/appmesh/structs"
)

// failedAllocEvals returns one evaluation per job of service or batch
// allocations that the updates newly mark failed, when the job's policy
// may reschedule them. Jobs that already get an evaluation (skip) are left
// out. The evaluations go into the same Raft entry as the updates.
func failedAllocEvals(st *state.StateStore, updates []*structs.AllocStatusUpdate, skip []*structs.Evaluation) ([]*structs.Evaluation, error) {
	seen := map[jobKey]bool{}
	for _, e := range skip {
		seen[jobKey{e.Namespace, e.JobID}] = true
	}
	now := time.Now().UnixNano()
	var evals []*structs.Evaluation
	for _, u := range updates {
		if u.ClientStatus != structs.AllocClientFailed {
			continue
		}
		alloc, err := st.AllocByID(nil, u.ID)
		if err != nil {
			return nil, fmt.Errorf("read allocation %s: %w", u.ID, err)
		}
		if alloc == nil || alloc.ClientStatus == structs.AllocClientFailed || alloc.DesiredStatus != structs.AllocDesiredRun {
			continue
		}
		key := jobKey{alloc.Namespace, alloc.JobID}
		if seen[key] {
			continue
		}
		seen[key] = true
		job, err := st.JobByID(nil, alloc.Namespace, alloc.JobID)
		if err != nil {
			return nil, fmt.Errorf("read job %q: %w", alloc.JobID, err)
		}
		if job == nil || job.Stop || !structs.EffectiveReschedulePolicy(job, job.LookupGroup(alloc.TaskGroup)).Enabled() {
			continue
		}
		evals = append(evals, &structs.Evaluation{
			ID: structs.GenerateID(), Namespace: job.Namespace, Priority: job.Priority, Type: job.Type,
			TriggeredBy: structs.EvalTriggerAllocFailure, JobID: job.ID, JobModifyIndex: job.JobModifyIndex,
			Status: structs.EvalStatusPending, CreateTime: now, ModifyTime: now,
		})
	}
	return evals, nil
}

package server

import (
	"fmt"
	"time"

	"github.com/appmesh/appmesh/server/state"
	"github.com/appmesh/appmesh/structs"
)

// systemJobEvals returns a pending evaluation for every system and sysbatch
// job that is not stopped, so that a node that registers or becomes ready
// gets its allocations of them. The evaluations go into the same Raft entry
// as the node change.
func systemJobEvals(st *state.StateStore, nodeID string) ([]*structs.Evaluation, error) {
	jobs, err := st.Jobs(nil)
	if err != nil {
		return nil, fmt.Errorf("list jobs for node %s: %w", nodeID, err)
	}
	now := time.Now().UnixNano()
	var evals []*structs.Evaluation
	for _, job := range jobs {
		if job.Stop || (job.Type != structs.JobTypeSystem && job.Type != structs.JobTypeSysBatch) {
			continue
		}
		evals = append(evals, &structs.Evaluation{
			ID: structs.GenerateID(), Namespace: job.Namespace, Priority: job.Priority, Type: job.Type,
			TriggeredBy: structs.EvalTriggerNodeUpdate, JobID: job.ID, NodeID: nodeID,
			Status: structs.EvalStatusPending, CreateTime: now, ModifyTime: now,
		})
	}
	return evals, nil
}

// rollingUpdateEvals returns an evaluation for each job with a rolling
// update (or a drain paced by a migrate block) whose replacement
// allocations just reported running, failed or a health change, so that
// the next batch of the update, or of the drain, is placed.
func rollingUpdateEvals(st *state.StateStore, updates []*structs.AllocStatusUpdate) ([]*structs.Evaluation, error) {
	seen := map[string]bool{}
	now := time.Now().UnixNano()
	var evals []*structs.Evaluation
	for _, u := range updates {
		alloc, err := st.AllocByID(nil, u.ID)
		if err != nil {
			return nil, fmt.Errorf("read allocation %s: %w", u.ID, err)
		}
		if alloc == nil || alloc.PreviousAllocation == "" {
			continue
		}
		// The next batch of a rolling update may start when a replacement
		// starts running, fails, or changes health (health gates rollouts).
		statusChanged := (u.ClientStatus == structs.AllocClientRunning || u.ClientStatus == structs.AllocClientFailed) &&
			alloc.ClientStatus != u.ClientStatus
		healthChanged := u.Healthy != nil && (alloc.Healthy == nil || *alloc.Healthy != *u.Healthy)
		if !statusChanged && !healthChanged {
			continue
		}
		key := alloc.Namespace + "\x00" + alloc.JobID
		if seen[key] {
			continue
		}
		seen[key] = true
		job, err := st.JobByID(nil, alloc.Namespace, alloc.JobID)
		if err != nil {
			return nil, fmt.Errorf("read job %q: %w", alloc.JobID, err)
		}
		// A drain's replacement paces the drain under a migrate block.
		if job == nil || job.Stop || !(hasRollingUpdate(job) || alloc.DrainReplacement) {
			continue
		}
		evals = append(evals, &structs.Evaluation{
			ID: structs.GenerateID(), Namespace: job.Namespace, Priority: job.Priority, Type: job.Type,
			TriggeredBy: structs.EvalTriggerRollingUpdate, JobID: job.ID,
			Status: structs.EvalStatusPending, CreateTime: now, ModifyTime: now,
		})
	}
	return evals, nil
}

func hasRollingUpdate(job *structs.Job) bool {
	for _, tg := range job.Groups {
		if structs.GroupUpdate(job, tg).Rolling() {
			return true
		}
	}
	return false
}

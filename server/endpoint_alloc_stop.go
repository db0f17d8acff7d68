package server

import (
	"fmt"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// Stop marks an allocation desired-stop and creates an evaluation of its
// job, so that the scheduler places a replacement (for a service or
// system job) the way it does for a lost allocation. The node's client sees
// the stop through its alloc watch and kills the tasks.
//
// It writes two existing Raft entries: the stop as plan results, then the
// evaluation. They are not atomic: if the second write fails, the
// allocation is stopped without a replacement until the job's next
// evaluation, and the caller gets the error. (An AllocStopRequestType entry
// carrying both is the planned fix.)
func (a *Alloc) Stop(args *structs.AllocStopRequest, reply *structs.AllocStopResponse) error {
	if done, err := a.srv.forward("Alloc.Stop", false, args, reply); done {
		return err
	}
	alloc, err := a.srv.State().AllocByID(nil, args.AllocID)
	if err != nil {
		return fmt.Errorf("stop allocation %q: %w", args.AllocID, err)
	}
	if alloc == nil {
		return fmt.Errorf("allocation %q: %w", args.AllocID, structs.ErrNotFound)
	}
	job, err := a.srv.State().JobByID(nil, alloc.Namespace, alloc.JobID)
	if err != nil {
		return fmt.Errorf("stop allocation %q: job %q: %w", args.AllocID, alloc.JobID, err)
	}
	now := time.Now().UnixNano()
	eval := &structs.Evaluation{
		ID: structs.GenerateID(), Namespace: alloc.Namespace, Priority: structs.DefaultPriority,
		Type: structs.JobTypeService, TriggeredBy: structs.EvalTriggerAllocStop, JobID: alloc.JobID,
		Status: structs.EvalStatusPending, CreateTime: now, ModifyTime: now,
	}
	if job != nil {
		eval.Priority, eval.Type = job.Priority, job.Type
	}
	stop := &structs.Allocation{ID: alloc.ID, DesiredStatus: structs.AllocDesiredStop,
		DesiredDescription: "allocation stopped by user", ClientStatus: alloc.ClientStatus}
	entry := &structs.ApplyPlanResultsEntry{AllocsStopped: []*structs.Allocation{stop}, EvalID: eval.ID, Time: now}
	if _, err := a.srv.raftApply(structs.ApplyPlanResultsRequestType, entry); err != nil {
		return fmt.Errorf("stop allocation %q: %w", args.AllocID, err)
	}
	if job == nil || job.Stop {
		reply.Index = 0
		return nil // nothing to replace
	}
	index, err := a.srv.raftApply(structs.EvalUpdateRequestType, &structs.EvalUpdateEntry{Evals: []*structs.Evaluation{eval}})
	if err != nil {
		return fmt.Errorf("allocation %q stopped, but its replacement evaluation failed: %w", args.AllocID, err)
	}
	reply.EvalID = eval.ID
	reply.Index = index
	return nil
}

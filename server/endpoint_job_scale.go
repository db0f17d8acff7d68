package server

import (
	"fmt"

	"github.com/appmesh/appmesh/structs"
)

// Scale sets one group's count: the stored job is registered again with
// that count, so the change is a new version that the scheduler acts on
// like any register, and `job history` shows it. The count must lie within
// the group's scaling bounds when it has a scaling block.
func (j *Job) Scale(args *structs.JobScaleRequest, reply *structs.JobRegisterResponse) error {
	if done, err := j.srv.forward(structs.JobScaleRPC, false, args, reply); done {
		return err
	}
	ns := namespaceOf(args.Namespace)
	existing, err := j.srv.existingJob(ns, args.JobID, "scale")
	if err != nil {
		return err
	}
	if existing.Stop {
		return fmt.Errorf("invalid: job %q is stopped: run it again before scaling it", args.JobID)
	}
	if args.EnforceIndex && existing.JobModifyIndex != args.JobModifyIndex {
		return fmt.Errorf("%w: job %q modify index is %d, not %d: it changed since it was read",
			structs.ErrConflict, args.JobID, existing.JobModifyIndex, args.JobModifyIndex)
	}
	job := existing.Copy()
	g := job.LookupGroup(args.Group)
	if g == nil {
		names := make([]string, len(job.Groups))
		for i, tg := range job.Groups {
			names[i] = tg.Name
		}
		return fmt.Errorf("invalid: job %q has no group %q (its groups: %v)", args.JobID, args.Group, names)
	}
	if args.Count < 0 {
		return fmt.Errorf("invalid: group %q: count must not be negative (got %d)", args.Group, args.Count)
	}
	if g.Scaling != nil && g.Scaling.Max != nil {
		if lo, hi := g.Scaling.Bounds(g.Count); args.Count < lo || args.Count > hi {
			return fmt.Errorf("invalid: group %q: count %d is outside its scaling block's min %d and max %d",
				args.Group, args.Count, lo, hi)
		}
	}
	g.Count = args.Count
	// Only this job version may be replaced: a register in between wins
	// and this scale fails with a conflict instead of undoing it.
	reg := &structs.JobRegisterRequest{Job: job, EnforceIndex: true, JobModifyIndex: existing.JobModifyIndex}
	reg.WriteRequest = args.WriteRequest
	return j.register(reg, structs.EvalTriggerScaling, reply)
}

package server

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/appmesh/appmesh/server/scheduler"
	"github.com/appmesh/appmesh/server/state"
	"github.com/appmesh/appmesh/structs"
)

// Promote promotes the canaries of a running deployment, named by ID or
// (for `job promote`) by its job: the rolling update goes on.
func (d *Deployment) Promote(args *structs.DeploymentPromoteRequest, reply *structs.DeploymentUpdateResponse) error {
	if done, err := d.srv.forward(structs.DeploymentPromoteRPC, false, args, reply); done {
		return err
	}
	job, dep, err := d.srv.runningDeployment(namespaceOf(args.Namespace), args.DeploymentID, args.JobID)
	if err != nil {
		return err
	}
	if !dep.NeedsPromotion() {
		return fmt.Errorf("invalid: deployment %s of job %q version %d has no canaries to promote", structs.ShortID(dep.ID), job.ID, job.Version)
	}
	if why := unhealthyCanaries(dep); why != "" {
		return fmt.Errorf("invalid: cannot promote deployment %s of job %q yet: %s", structs.ShortID(dep.ID), job.ID, why)
	}
	evalID, index, err := d.srv.promoteVersion(job)
	if err != nil {
		return err
	}
	reply.EvalID, reply.DeploymentModifyIndex, reply.Index = evalID, index, index
	return nil
}

// Fail fails a running deployment; with auto_revert the job goes back to
// its latest stable version, as when the update failed by itself.
func (d *Deployment) Fail(args *structs.DeploymentFailRequest, reply *structs.DeploymentUpdateResponse) error {
	if done, err := d.srv.forward(structs.DeploymentFailRPC, false, args, reply); done {
		return err
	}
	job, dep, err := d.srv.runningDeployment(namespaceOf(args.Namespace), args.DeploymentID, "")
	if err != nil {
		return err
	}
	snap, err := d.srv.State().Snapshot()
	if err != nil {
		return err
	}
	why := fmt.Sprintf("update to version %d failed: deployment %s marked as failed by an operator", job.Version, structs.ShortID(dep.ID))
	dec, err := scheduler.FailRollout(stateView{snap}, job, why, state.SpecEqual)
	if err != nil {
		return err
	}
	index, reverted, err := d.srv.rollouts.record(dec)
	if err != nil {
		return err
	}
	reply.DeploymentModifyIndex, reply.Index = index, index
	if reverted != nil {
		reply.EvalID = reverted.EvalID
		v := dec.RevertTo.Version
		reply.RevertedJobVersion = &v
	}
	return nil
}

// runningDeployment finds the deployment to act on and checks that it is
// the running deployment of its job's current version.
func (s *Server) runningDeployment(ns, deploymentID, jobID string) (*structs.Job, *structs.Deployment, error) {
	st := s.State()
	if deploymentID == "" && jobID != "" {
		job, err := s.existingJob(ns, jobID, "promote")
		if err != nil {
			return nil, nil, err
		}
		if !structs.HasDeployment(job) {
			return nil, nil, fmt.Errorf("invalid: job %q has no deployment: only service jobs with an update block are deployed", jobID)
		}
		allocs, err := st.AllocsByJob(nil, ns, jobID)
		if err != nil {
			return nil, nil, fmt.Errorf("read allocations of job %q: %w", jobID, err)
		}
		dep := structs.DeploymentOf(job, job, allocs)
		if dep.Status != structs.DeploymentRunning {
			return nil, nil, fmt.Errorf("invalid: the deployment of job %q version %d is %s, not running", jobID, job.Version, dep.Status)
		}
		return job, dep, nil
	}
	dep, err := findDeployment(nil, st, ns, deploymentID)
	if err != nil {
		return nil, nil, err
	}
	if dep.Status != structs.DeploymentRunning {
		return nil, nil, fmt.Errorf("invalid: deployment %s is %s, not running: %s", structs.ShortID(dep.ID), dep.Status, dep.StatusDescription)
	}
	job, err := st.JobByID(nil, ns, dep.JobID)
	if err != nil || job == nil {
		return nil, nil, errors.Join(fmt.Errorf("read job %q", dep.JobID), err)
	}
	return job, dep, nil
}

// unhealthyCanaries says which groups still wait for healthy canaries
// ("" when all are healthy).
func unhealthyCanaries(dep *structs.Deployment) string {
	var waiting []string
	for name, g := range dep.TaskGroups {
		if g.DesiredCanaries > 0 && g.HealthyCanaries < g.DesiredCanaries {
			waiting = append(waiting, fmt.Sprintf("group %q has %d of %d canaries healthy", name, g.HealthyCanaries, g.DesiredCanaries))
		}
	}
	sort.Strings(waiting)
	return strings.Join(waiting, "; ")
}

// promoteVersion marks the job's current version promoted, with the
// evaluation that replaces the old allocations, in one Raft entry.
func (s *Server) promoteVersion(job *structs.Job) (evalID string, index uint64, err error) {
	now := time.Now().UnixNano()
	eval := &structs.Evaluation{
		ID: structs.GenerateID(), Namespace: job.Namespace, Priority: job.Priority, Type: job.Type,
		TriggeredBy: structs.EvalTriggerDeploymentPromote, JobID: job.ID,
		Status: structs.EvalStatusPending, CreateTime: now, ModifyTime: now,
	}
	entry := &structs.JobRolloutEntry{Namespace: job.Namespace, JobID: job.ID, Version: job.Version,
		Promoted: true, ProgressTime: now, Eval: eval}
	index, err = s.raftApply(structs.JobRolloutRequestType, entry)
	if err != nil {
		return "", 0, fmt.Errorf("promote job %q version %d: %w", job.ID, job.Version, err)
	}
	s.logger.Info("canaries promoted", "job_id", job.ID, "version", job.Version)
	return eval.ID, index, nil
}

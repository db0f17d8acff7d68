package server

import (
	"fmt"

	"github.com/appmesh/appmesh/server/state"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-memdb"
)

// GetVersions lists a job's stored versions, newest first.
func (j *Job) GetVersions(args *structs.JobSpecificRequest, reply *structs.JobVersionsResponse) error {
	if done, err := j.srv.forward("Job.GetVersions", args.AllowStale, args, reply); done {
		return err
	}
	if args.JobID == "" {
		return fmt.Errorf("invalid: job ID is required")
	}
	ns := namespaceOf(args.Namespace)
	return j.srv.blockingRPC(&args.QueryOptions, &reply.QueryMeta, func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
		versions, err := st.JobVersionsByID(ws, ns, args.JobID)
		if err != nil {
			return 0, err
		}
		if len(versions) == 0 {
			return 0, fmt.Errorf("job %q: %w", args.JobID, structs.ErrNotFound)
		}
		reply.Versions = versions
		return st.Index("job_versions")
	})
}

// Revert registers an older version of a job again, as a new version.
func (j *Job) Revert(args *structs.JobRevertRequest, reply *structs.JobRegisterResponse) error {
	if done, err := j.srv.forward("Job.Revert", false, args, reply); done {
		return err
	}
	if args.JobID == "" {
		return fmt.Errorf("invalid: job ID is required")
	}
	ns := namespaceOf(args.Namespace)
	st := j.srv.State()
	cur, err := j.srv.existingJob(ns, args.JobID, "revert")
	if err != nil {
		return err
	}
	if args.EnforcePriorVersion != nil && *args.EnforcePriorVersion != cur.Version {
		return fmt.Errorf("%w: job %q is at version %d, not %d", structs.ErrConflict, args.JobID, cur.Version, *args.EnforcePriorVersion)
	}
	if args.Version == cur.Version {
		return fmt.Errorf("invalid: job %q is already at version %d; pick an older version (see `appmesh job history %s`)",
			args.JobID, cur.Version, args.JobID)
	}
	old, err := st.JobByIDAndVersion(nil, ns, args.JobID, args.Version)
	if err != nil {
		return fmt.Errorf("revert job %q: %w", args.JobID, err)
	}
	if old == nil {
		return fmt.Errorf("version %d of job %q: %w (it may have been dropped; see `appmesh job history %s`)",
			args.Version, args.JobID, structs.ErrNotFound, args.JobID)
	}
	req := &structs.JobRegisterRequest{Job: old.Copy(), EnforceIndex: true, JobModifyIndex: cur.JobModifyIndex}
	req.Namespace = ns
	if err := j.Register(req, reply); err != nil {
		return fmt.Errorf("revert job %q to version %d: %w", args.JobID, args.Version, err)
	}
	return nil
}

package api

import (
	"fmt"
	"net/http"

	"github.com/appmesh/appmesh/structs"
)

// Plan runs a dry run of the job through the scheduler; nothing is written.
// diff asks for the fields that differ from the running version.
func (j *Jobs) Plan(job *structs.Job, diff bool) (*structs.JobPlanResponse, error) {
	if job == nil || job.ID == "" {
		return nil, fmt.Errorf("plan: a job with an id is required")
	}
	req := &structs.JobPlanRequest{Job: j.c.inNamespace(job), Diff: diff}
	var out structs.JobPlanResponse
	if _, err := j.c.write(http.MethodPut, "/v1/job/"+escapeID(job.ID)+"/plan", nil, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Versions returns the job's stored versions, newest first.
func (j *Jobs) Versions(id string, q *QueryOptions) ([]*structs.Job, *QueryMeta, error) {
	var out structs.JobVersionsResponse
	qm, err := j.c.query("/v1/job/"+escapeID(id)+"/versions", nil, q, &out)
	if err != nil {
		return nil, nil, err
	}
	return out.Versions, qm, nil
}

// Revert registers version of the job again as a new version. When
// priorVersion is not nil, the revert fails unless the job is at that
// version.
func (j *Jobs) Revert(id string, version uint64, priorVersion *uint64) (*structs.JobRegisterResponse, *WriteMeta, error) {
	req := &structs.JobRevertRequest{JobID: id, Version: version, EnforcePriorVersion: priorVersion}
	var out structs.JobRegisterResponse
	wm, err := j.c.write(http.MethodPut, "/v1/job/"+escapeID(id)+"/revert", nil, req, &out)
	if err != nil {
		return nil, nil, err
	}
	return &out, wm, nil
}

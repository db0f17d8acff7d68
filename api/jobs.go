package api

import (
	"net/http"
	"net/url"

	"github.com/appmesh/appmesh/structs"
)

// Jobs is the /v1/jobs and /v1/job/<id> part of the API.
type Jobs struct{ c *Client }

// Jobs returns the jobs endpoints.
func (c *Client) Jobs() *Jobs { return &Jobs{c: c} }

// RegisterOptions tune a job registration.
type RegisterOptions struct {
	// EnforceIndex makes the registration fail unless the job's current
	// job_modify_index equals ModifyIndex (0: the job must not exist yet).
	EnforceIndex bool
	ModifyIndex  uint64
	// IdempotencyToken (at most 256 characters) makes the registration
	// safe to retry: when the job's last registration carried the same
	// token, the answer is that registration's (Existing is set) and
	// nothing is written; the same token with another spec is a conflict.
	IdempotencyToken string
}

// Register submits a new job or a new version of a job. A job that names no
// namespace goes to the client's namespace.
func (j *Jobs) Register(job *structs.Job, opts *RegisterOptions) (*structs.JobRegisterResponse, *WriteMeta, error) {
	req := &structs.JobRegisterRequest{Job: j.c.inNamespace(job)}
	if opts != nil {
		req.EnforceIndex = opts.EnforceIndex
		req.JobModifyIndex = opts.ModifyIndex
		req.IdempotencyToken = opts.IdempotencyToken
	}
	var out structs.JobRegisterResponse
	wm, err := j.c.write(http.MethodPut, "/v1/jobs", nil, req, &out)
	if err != nil {
		return nil, nil, err
	}
	return &out, wm, nil
}

// List returns the jobs with their per-group allocation summaries.
func (j *Jobs) List(q *QueryOptions) ([]*structs.JobListStub, *QueryMeta, error) {
	var out []*structs.JobListStub
	qm, err := j.c.query("/v1/jobs", nil, q, &out)
	if err != nil {
		return nil, nil, err
	}
	return out, qm, nil
}

// Info returns one job.
func (j *Jobs) Info(id string, q *QueryOptions) (*structs.Job, *QueryMeta, error) {
	var out structs.Job
	qm, err := j.c.query("/v1/job/"+escapeID(id), nil, q, &out)
	if err != nil {
		return nil, nil, err
	}
	return &out, qm, nil
}

// Allocations returns the job's allocations; all includes those of older
// versions of the job.
func (j *Jobs) Allocations(id string, all bool, q *QueryOptions) ([]*structs.AllocListStub, *QueryMeta, error) {
	params := url.Values{}
	if all {
		params.Set("all", "true")
	}
	var out []*structs.AllocListStub
	qm, err := j.c.query("/v1/job/"+escapeID(id)+"/allocations", params, q, &out)
	if err != nil {
		return nil, nil, err
	}
	return out, qm, nil
}

// Evaluations returns the job's evaluations.
func (j *Jobs) Evaluations(id string, q *QueryOptions) ([]*structs.Evaluation, *QueryMeta, error) {
	var out []*structs.Evaluation
	qm, err := j.c.query("/v1/job/"+escapeID(id)+"/evaluations", nil, q, &out)
	if err != nil {
		return nil, nil, err
	}
	return out, qm, nil
}

// Deregister stops a job; purge also removes it from the state so that its ID
// can be reused from scratch.
func (j *Jobs) Deregister(id string, purge bool) (*structs.JobDeregisterResponse, *WriteMeta, error) {
	params := url.Values{}
	if purge {
		params.Set("purge", "true")
	}
	var out structs.JobDeregisterResponse
	wm, err := j.c.write(http.MethodDelete, "/v1/job/"+escapeID(id), params, nil, &out)
	if err != nil {
		return nil, nil, err
	}
	return &out, wm, nil
}

// inNamespace returns job, or a copy of it placed in the client's namespace
// when the job names none: the agent takes a job's namespace from the job
// itself, so -namespace / APPMESH_NAMESPACE must reach it there.
func (c *Client) inNamespace(job *structs.Job) *structs.Job {
	// The job-file parser fills in "default" for a job that names no
	// namespace, so "default" yields to -namespace / APPMESH_NAMESPACE too.
	named := job != nil && job.Namespace != "" && job.Namespace != structs.DefaultNamespace
	if job == nil || named || c.namespace == "" || c.namespace == structs.AllNamespacesSentinel {
		return job
	}
	cp := job.Copy()
	cp.Namespace = c.namespace
	return cp
}

// ParseRequest is the body of POST /v1/jobs/parse.
type ParseRequest struct {
	// Source is a job file's text, HCL or JSON.
	Source string `json:"source"`
	// Format is "hcl", "json" or "" (JSON when the text starts with '{').
	Format string `json:"format,omitempty"`
	// Variables are values for the file's variable blocks.
	Variables map[string]string `json:"variables,omitempty"`
}

// Parse has the agent parse a job file's text, without writing anything,
// and returns the job, canonicalized and validated. A bad text is an
// error listing every problem with its line and column. File functions
// (file(), fileexists()) are refused: the text is not read from a file.
func (j *Jobs) Parse(req *ParseRequest) (*structs.Job, error) {
	var out struct {
		Job *structs.Job `json:"job"`
	}
	if _, err := j.c.write(http.MethodPost, "/v1/jobs/parse", nil, req, &out); err != nil {
		return nil, err
	}
	return out.Job, nil
}

// Scale sets a group's count (PUT /v1/job/<id>/scale). The count must lie
// within the group's scaling block, when it has one.
func (j *Jobs) Scale(id, group string, count int) (*structs.JobRegisterResponse, *WriteMeta, error) {
	body := map[string]any{"group": group, "count": count}
	var out structs.JobRegisterResponse
	wm, err := j.c.write(http.MethodPut, "/v1/job/"+escapeID(id)+"/scale", nil, body, &out)
	if err != nil {
		return nil, nil, err
	}
	return &out, wm, nil
}

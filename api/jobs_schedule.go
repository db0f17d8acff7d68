package api

import (
	"net/http"

	"github.com/appmesh/appmesh/structs"
)

// DispatchRequest is the body of PUT /v1/job/<id>/dispatch.
type DispatchRequest struct {
	Meta    map[string]string `json:"meta,omitempty"`
	Payload []byte            `json:"payload,omitempty"`
	// IdempotencyToken: a dispatch retried with the same token returns
	// the child the first one made (reply.Existing) instead of a second.
	IdempotencyToken string `json:"idempotency_token,omitempty"`
}

// Dispatch launches a parameterized job with meta and a payload (at most
// 16 KiB); the reply names the child job and says whether it is queued
// behind max_concurrent.
func (j *Jobs) Dispatch(id string, meta map[string]string, payload []byte) (*structs.JobDispatchResponse, *WriteMeta, error) {
	return j.DispatchRequest(id, &DispatchRequest{Meta: meta, Payload: payload})
}

// DispatchRequest is Dispatch with every option, the idempotency token
// among them: retrying a dispatch whose answer was lost with the same
// token never launches a second child.
func (j *Jobs) DispatchRequest(id string, req *DispatchRequest) (*structs.JobDispatchResponse, *WriteMeta, error) {
	var out structs.JobDispatchResponse
	wm, err := j.c.write(http.MethodPut, "/v1/job/"+escapeID(id)+"/dispatch", nil, req, &out)
	if err != nil {
		return nil, nil, err
	}
	return &out, wm, nil
}

// PeriodicForce launches a periodic job now.
func (j *Jobs) PeriodicForce(id string) (*structs.PeriodicForceResponse, *WriteMeta, error) {
	var out structs.PeriodicForceResponse
	wm, err := j.c.write(http.MethodPut, "/v1/job/"+escapeID(id)+"/periodic/force", nil, nil, &out)
	if err != nil {
		return nil, nil, err
	}
	return &out, wm, nil
}

// Periodic returns a periodic or parameterized job's next launch, last
// launch and children.
func (j *Jobs) Periodic(id string, q *QueryOptions) (*structs.PeriodicStatus, *QueryMeta, error) {
	var out structs.PeriodicStatus
	qm, err := j.c.query("/v1/job/"+escapeID(id)+"/periodic", nil, q, &out)
	if err != nil {
		return nil, nil, err
	}
	return &out, qm, nil
}

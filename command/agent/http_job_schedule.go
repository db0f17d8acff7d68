package agent

import (
	"fmt"
	"net/http"

	"github.com/appmesh/appmesh/structs"
)

// Sub-resources of periodic and parameterized jobs:
// PUT /v1/job/<id>/dispatch, PUT /v1/job/<id>/periodic/force,
// GET /v1/job/<id>/periodic (next launch, last launch, children).
const (
	jobDispatch      = "dispatch"
	jobPeriodicForce = "periodic/force"
	jobPeriodic      = "periodic"
)

// jobGetWithSchedules serves GET /v1/job/<id>/periodic and hands every
// other GET under /v1/job/ on.
func (s *HTTPServer) jobGetWithSchedules(w http.ResponseWriter, r *http.Request) (any, error) {
	if id, sub, ok, err := cutJobSub(r, jobDeploymentsSub, jobDeploymentSub); err != nil || ok {
		if err != nil {
			return nil, err
		}
		return s.jobDeployments(w, r, id, sub)
	}
	id, _, ok, err := cutJobSub(r, jobPeriodic)
	if err != nil {
		return nil, err
	}
	if !ok {
		return s.jobGetWithVersions(w, r)
	}
	args := structs.JobSpecificRequest{JobID: id}
	if err := parseQuery(r, &args.QueryOptions); err != nil {
		return nil, err
	}
	var out structs.PeriodicStatusResponse
	if err := s.rpc(r, structs.JobPeriodicStatusRPC, &args, &out); err != nil {
		return nil, err
	}
	setMeta(w, &out.QueryMeta)
	return out.Status, nil
}

// jobPutWithSchedules serves PUT /v1/job/<id>/dispatch and
// /v1/job/<id>/periodic/force and hands every other PUT on.
func (s *HTTPServer) jobPutWithSchedules(w http.ResponseWriter, r *http.Request) (any, error) {
	id, sub, ok, err := cutJobSub(r, jobPeriodicForce, jobDispatch, jobPromoteSub, jobScaleSub)
	if err != nil {
		return nil, err
	}
	switch {
	case !ok:
		return s.jobPutSpecific(w, r)
	case sub == jobDispatch:
		return s.jobDispatch(w, r, id)
	case sub == jobPromoteSub:
		return s.jobPromote(w, r, id)
	case sub == jobScaleSub:
		return s.jobScale(w, r, id)
	}
	args := structs.PeriodicForceRequest{JobID: id}
	args.Namespace = r.URL.Query().Get("namespace")
	args.AuthToken = authToken(r)
	var out structs.PeriodicForceResponse
	if err := s.rpc(r, structs.JobPeriodicForceRPC, &args, &out); err != nil {
		return nil, err
	}
	setWriteMeta(w, &out.WriteMeta)
	return &out, nil
}

// dispatchBody is PUT /v1/job/<id>/dispatch: {"meta": {...}, "payload":
// "<base64>", "idempotency_token": "..."}; an empty body dispatches
// without meta or payload.
type dispatchBody struct {
	Meta             map[string]string `json:"meta,omitempty"`
	Payload          []byte            `json:"payload,omitempty"`
	IdempotencyToken string            `json:"idempotency_token,omitempty"`
}

func (s *HTTPServer) jobDispatch(w http.ResponseWriter, r *http.Request, id string) (any, error) {
	var body dispatchBody
	if r.ContentLength != 0 {
		if err := decodeBody(w, r, &body); err != nil {
			return nil, err
		}
	}
	if n := len(body.Payload); n > structs.DispatchPayloadSizeLimit {
		return nil, &httpError{code: http.StatusRequestEntityTooLarge,
			msg: fmt.Sprintf("payload is %d bytes, more than the limit of %d bytes", n, structs.DispatchPayloadSizeLimit)}
	}
	args := structs.JobDispatchRequest{JobID: id, Meta: body.Meta, Payload: body.Payload, IdempotencyToken: body.IdempotencyToken}
	args.Namespace = r.URL.Query().Get("namespace")
	args.AuthToken = authToken(r)
	var out structs.JobDispatchResponse
	if err := s.rpc(r, structs.JobDispatchRPC, &args, &out); err != nil {
		return nil, err
	}
	setWriteMeta(w, &out.WriteMeta)
	return &out, nil
}

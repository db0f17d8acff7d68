package agent

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/appmesh/appmesh/jobspec"
	"github.com/appmesh/appmesh/structs"
)

// GET /v1/jobs → []JobListStub, with per-group summaries.
func (s *HTTPServer) jobList(w http.ResponseWriter, r *http.Request) (any, error) {
	var args structs.JobListRequest
	if err := parseQuery(r, &args.QueryOptions); err != nil {
		return nil, err
	}
	var out structs.JobListResponse
	if err := s.rpc(r, structs.JobListRPC, &args, &out); err != nil {
		return nil, err
	}
	setMeta(w, &out.QueryMeta)
	return nonNil(out.Jobs), nil
}

// PUT|POST /v1/jobs with {"job": {...}, "enforce_index": b, "job_modify_index": n,
// "idempotency_token": s}.
// The job is canonicalized and validated here too, so that a bad job is
// rejected with every problem listed before anything is written.
func (s *HTTPServer) jobRegister(w http.ResponseWriter, r *http.Request) (any, error) {
	args, err := decodeRegisterBody(w, r)
	if err != nil {
		return nil, err
	}
	if args.Job == nil {
		return nil, badRequest(`request body must contain a "job" object: {"job": {...}}`)
	}
	args.Job.Canonicalize()
	if err := args.Job.Validate(); err != nil {
		return nil, err
	}
	args.Namespace = args.Job.Namespace
	args.AuthToken = authToken(r)
	var out structs.JobRegisterResponse
	if err := s.rpc(r, structs.JobRegisterRPC, args, &out); err != nil {
		return nil, err
	}
	setWriteMeta(w, &out.WriteMeta)
	return &out, nil
}

// decodeRegisterBody reads a register body in appmesh's form ({"job": ...})
// or in Nomad's ({"Job": {"ID": ...}}, PascalCase keys; see
// jobspec/nomad_json.go), so that scripts written for Nomad's API work.
func decodeRegisterBody(w http.ResponseWriter, r *http.Request) (*structs.JobRegisterRequest, error) {
	args := &structs.JobRegisterRequest{}
	reg, err := decodeJobBody(w, r, args)
	if err != nil {
		return nil, err
	}
	if reg != nil {
		args.Job, args.EnforceIndex, args.JobModifyIndex = reg.Job, reg.EnforceIndex, reg.JobModifyIndex
	}
	return args, jobNamespaceFromQuery(r, args.Job)
}

// jobNamespaceFromQuery puts a job that names no namespace in the
// request's ?namespace=, as Nomad does: the job's own field wins, then the
// query, then "default" (Canonicalize). A write goes to one namespace, so
// the lists' "*" is refused.
func jobNamespaceFromQuery(r *http.Request, job *structs.Job) error {
	ns := r.URL.Query().Get("namespace")
	if job == nil || job.Namespace != "" || ns == "" {
		return nil
	}
	if ns == structs.AllNamespacesSentinel {
		return badRequest("?namespace=%s lists every namespace; a job is written to one: name it in ?namespace= or in the job's namespace field", ns)
	}
	job.Namespace = ns
	return nil
}

// decodeJobBody reads a body that carries a job: appmesh's form is decoded
// strictly into args; Nomad's form ({"Job": ...}) is parsed and returned
// for the caller to take what its request needs.
func decodeJobBody(w http.ResponseWriter, r *http.Request, args any) (*jobspec.NomadRegister, error) {
	data, err := readBody(w, r)
	if err != nil {
		return nil, err
	}
	if !jobspec.IsNomadJSON(data) {
		if err := jobspec.StrictDecodeJSON("request body", data, args); err != nil {
			return nil, badRequest("%s", strings.TrimSpace(err.Error()))
		}
		return nil, nil
	}
	reg, err := jobspec.ParseNomadJSON("request body", data)
	if err != nil {
		return nil, badRequest("%s", strings.TrimSpace(err.Error()))
	}
	return reg, nil
}

// Sub-resources of a job: /v1/job/<id>/allocations, /v1/job/<id>/evaluations.
const (
	jobAllocations = "allocations"
	jobEvaluations = "evaluations"
)

// splitJobPath returns the job ID and the sub-resource of a /v1/job/ path.
// It works on the escaped path so that a job ID sent as "a%2Fallocations"
// stays one ID, while a raw "a/periodic-1/allocations" still splits.
func splitJobPath(r *http.Request) (id, sub string, err error) {
	rest, ok := strings.CutPrefix(r.URL.EscapedPath(), "/v1/job/")
	if !ok {
		return "", "", notFound("no such API endpoint: %s", r.URL.Path)
	}
	for _, s := range []string{jobAllocations, jobEvaluations} {
		if head, found := strings.CutSuffix(rest, "/"+s); found && head != "" {
			rest, sub = head, s
			break
		}
	}
	id, err = url.PathUnescape(rest)
	if err != nil {
		return "", "", badRequest("invalid job ID in path %q: %v", r.URL.EscapedPath(), err)
	}
	if id == "" {
		return "", "", badRequest("missing job ID: use /v1/job/<id>")
	}
	return id, sub, nil
}

// GET /v1/job/<id>[/allocations|/evaluations].
func (s *HTTPServer) jobGetSpecific(w http.ResponseWriter, r *http.Request) (any, error) {
	id, sub, err := splitJobPath(r)
	if err != nil {
		return nil, err
	}
	args := structs.JobSpecificRequest{JobID: id}
	if err := parseQuery(r, &args.QueryOptions); err != nil {
		return nil, err
	}
	switch sub {
	case jobAllocations:
		return s.jobAllocations(w, r, &args)
	case jobEvaluations:
		return s.jobEvaluations(w, r, &args)
	}
	var out structs.SingleJobResponse
	if err := s.rpc(r, structs.JobGetJobRPC, &args, &out); err != nil {
		return nil, err
	}
	setMeta(w, &out.QueryMeta)
	if out.Job == nil {
		return nil, notFound("job %q not found", id)
	}
	return out.Job, nil
}

func (s *HTTPServer) jobAllocations(w http.ResponseWriter, r *http.Request, args *structs.JobSpecificRequest) (any, error) {
	all, err := boolParam(r, "all")
	if err != nil {
		return nil, err
	}
	args.All = all
	var out structs.JobAllocationsResponse
	if err := s.rpc(r, structs.JobAllocationsRPC, args, &out); err != nil {
		return nil, err
	}
	setMeta(w, &out.QueryMeta)
	return nonNil(out.Allocations), nil
}

func (s *HTTPServer) jobEvaluations(w http.ResponseWriter, r *http.Request, args *structs.JobSpecificRequest) (any, error) {
	var out structs.JobEvaluationsResponse
	if err := s.rpc(r, structs.JobEvaluationsRPC, args, &out); err != nil {
		return nil, err
	}
	setMeta(w, &out.QueryMeta)
	return nonNil(out.Evaluations), nil
}

// DELETE /v1/job/<id>[?purge=true].
func (s *HTTPServer) jobDeregister(w http.ResponseWriter, r *http.Request) (any, error) {
	id, sub, err := splitJobPath(r)
	if err != nil {
		return nil, err
	}
	if sub != "" {
		w.Header().Set("Allow", http.MethodGet)
		return nil, &httpError{code: http.StatusMethodNotAllowed,
			msg: "method DELETE is not allowed on " + r.URL.Path + ": use GET"}
	}
	purge, err := boolParam(r, "purge")
	if err != nil {
		return nil, err
	}
	args := structs.JobDeregisterRequest{JobID: id, Purge: purge}
	args.Namespace = r.URL.Query().Get("namespace")
	args.AuthToken = authToken(r)
	var out structs.JobDeregisterResponse
	if err := s.rpc(r, structs.JobDeregisterRPC, &args, &out); err != nil {
		return nil, err
	}
	setWriteMeta(w, &out.WriteMeta)
	return &out, nil
}

// nonNil makes an empty list encode as [] rather than null, which is kinder
// to scripts and to the UI.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

package agent

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/appmesh/appmesh/structs"
)

// Sub-resources added in phase 2: GET /v1/job/<id>/versions,
// PUT /v1/job/<id>/plan, PUT /v1/job/<id>/revert.
const (
	jobVersions = "versions"
	jobPlan     = "plan"
	jobRevert   = "revert"
)

// cutJobSub splits "/v1/job/<id>/<sub>" for one of subs; ok is false when
// the path has none of them.
func cutJobSub(r *http.Request, subs ...string) (id, sub string, ok bool, err error) {
	rest, found := strings.CutPrefix(r.URL.EscapedPath(), "/v1/job/")
	if !found {
		return "", "", false, nil
	}
	for _, s := range subs {
		if head, cut := strings.CutSuffix(rest, "/"+s); cut && head != "" {
			id, err = url.PathUnescape(head)
			if err != nil {
				return "", "", false, badRequest("invalid job ID in path %q: %v", r.URL.EscapedPath(), err)
			}
			return id, s, true, nil
		}
	}
	return "", "", false, nil
}

// GET /v1/job/<id>/versions, or any other GET under /v1/job/.
func (s *HTTPServer) jobGetWithVersions(w http.ResponseWriter, r *http.Request) (any, error) {
	id, _, ok, err := cutJobSub(r, jobVersions)
	if err != nil {
		return nil, err
	}
	if !ok {
		return s.jobGetSpecific(w, r)
	}
	args := structs.JobSpecificRequest{JobID: id}
	if err := parseQuery(r, &args.QueryOptions); err != nil {
		return nil, err
	}
	var out structs.JobVersionsResponse
	if err := s.rpc(r, "Job.GetVersions", &args, &out); err != nil {
		return nil, err
	}
	setMeta(w, &out.QueryMeta)
	return &out, nil
}

// PUT /v1/job/<id>/plan with {"job": {...}, "diff": true};
// PUT /v1/job/<id>/revert with {"version": N, "enforce_prior_version": M}.
func (s *HTTPServer) jobPutSpecific(w http.ResponseWriter, r *http.Request) (any, error) {
	id, sub, ok, err := cutJobSub(r, jobPlan, jobRevert)
	if err != nil {
		return nil, err
	}
	if !ok {
		w.Header().Set("Allow", "GET, DELETE")
		return nil, &httpError{code: http.StatusMethodNotAllowed,
			msg: "method PUT is not allowed on " + r.URL.Path + ": use /v1/job/<id>/plan or /v1/job/<id>/revert, or PUT /v1/jobs to register"}
	}
	if sub == jobRevert {
		return s.jobRevert(w, r, id)
	}
	args, err := decodePlanBody(w, r)
	if err != nil {
		return nil, err
	}
	if args.Job == nil {
		return nil, badRequest(`request body must contain a "job" object: {"job": {...}}`)
	}
	if args.Job.ID != id {
		return nil, badRequest("job ID %q in the body does not match %q in the path", args.Job.ID, id)
	}
	args.Job.Canonicalize()
	if err := args.Job.Validate(); err != nil {
		return nil, err
	}
	args.Namespace = args.Job.Namespace
	args.AuthToken = authToken(r)
	var out structs.JobPlanResponse
	if err := s.rpc(r, "Job.Plan", args, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func (s *HTTPServer) jobRevert(w http.ResponseWriter, r *http.Request, id string) (any, error) {
	var args structs.JobRevertRequest
	if err := decodeBody(w, r, &args); err != nil {
		return nil, err
	}
	if args.JobID != "" && args.JobID != id {
		return nil, badRequest("job_id %q in the body does not match %q in the path", args.JobID, id)
	}
	args.JobID = id
	args.Namespace = r.URL.Query().Get("namespace")
	args.AuthToken = authToken(r)
	var out structs.JobRegisterResponse
	if err := s.rpc(r, "Job.Revert", &args, &out); err != nil {
		return nil, err
	}
	setWriteMeta(w, &out.WriteMeta)
	return &out, nil
}

// decodePlanBody reads a plan body in appmesh's form ({"job": ..., "diff":
// true}) or in Nomad's ({"Job": ..., "Diff": true}).
func decodePlanBody(w http.ResponseWriter, r *http.Request) (*structs.JobPlanRequest, error) {
	args := &structs.JobPlanRequest{}
	reg, err := decodeJobBody(w, r, args)
	if err != nil {
		return nil, err
	}
	if reg != nil {
		args.Job, args.Diff = reg.Job, reg.Diff
	}
	return args, jobNamespaceFromQuery(r, args.Job)
}

package agent

import (
	"net/http"

	"github.com/appmesh/appmesh/structs"
)

// Deployments: the rollouts of job versions in Nomad's API shape (see
// website/api.md). Every route calls a Deployment RPC, which checks the
// token (read-job to read, submit-job to act).
func (s *HTTPServer) registerDeploymentRoutes() {
	get, put, post := http.MethodGet, http.MethodPut, http.MethodPost
	s.route("/v1/deployments", map[string]door{get: viaRPC(s.deploymentList)})
	s.route("/v1/deployment/{id}", map[string]door{get: viaRPC(s.deploymentGet)})
	s.route("/v1/deployment/promote/{id}", map[string]door{post: viaRPC(s.deploymentPromote), put: viaRPC(s.deploymentPromote)})
	s.route("/v1/deployment/fail/{id}", map[string]door{post: viaRPC(s.deploymentFail), put: viaRPC(s.deploymentFail)})
	s.route("/v1/deployment/allocation-health/{id}", map[string]door{
		post: viaRPC(s.deploymentAllocHealth), put: viaRPC(s.deploymentAllocHealth)})
}

// GET /v1/deployments[?prefix=][&namespace=] → [Deployment].
func (s *HTTPServer) deploymentList(w http.ResponseWriter, r *http.Request) (any, error) {
	var args structs.DeploymentListRequest
	if err := parseQuery(r, &args.QueryOptions); err != nil {
		return nil, err
	}
	args.Prefix = r.URL.Query().Get("prefix")
	return s.deploymentListRPC(w, r, &args)
}

func (s *HTTPServer) deploymentListRPC(w http.ResponseWriter, r *http.Request, args *structs.DeploymentListRequest) (any, error) {
	var out structs.DeploymentListResponse
	if err := s.rpc(r, structs.DeploymentListRPC, args, &out); err != nil {
		return nil, err
	}
	setMeta(w, &out.QueryMeta)
	return nonNil(out.Deployments), nil
}

// GET /v1/deployment/<id or prefix> → Deployment.
func (s *HTTPServer) deploymentGet(w http.ResponseWriter, r *http.Request) (any, error) {
	args := structs.DeploymentSpecificRequest{DeploymentID: r.PathValue("id")}
	if err := parseQuery(r, &args.QueryOptions); err != nil {
		return nil, err
	}
	var out structs.SingleDeploymentResponse
	if err := s.rpc(r, structs.DeploymentGetRPC, &args, &out); err != nil {
		return nil, err
	}
	setMeta(w, &out.QueryMeta)
	return out.Deployment, nil
}

// promoteBody is the optional body of a promotion: {"DeploymentID":
// "...", "All": true} as Nomad's clients send it.
type promoteBody struct {
	DeploymentID string `json:"DeploymentID,omitempty"`
	All          bool   `json:"All,omitempty"`
}

// POST /v1/deployment/promote/<id>.
func (s *HTTPServer) deploymentPromote(w http.ResponseWriter, r *http.Request) (any, error) {
	args := structs.DeploymentPromoteRequest{DeploymentID: r.PathValue("id")}
	var body promoteBody
	if err := decodeOptionalBody(w, r, &body); err != nil {
		return nil, err
	}
	if body.DeploymentID != "" && body.DeploymentID != args.DeploymentID {
		return nil, badRequest("DeploymentID %q in the body does not match %q in the path", body.DeploymentID, args.DeploymentID)
	}
	args.All = body.All
	return s.deploymentPromoteRPC(w, r, &args)
}

func (s *HTTPServer) deploymentPromoteRPC(w http.ResponseWriter, r *http.Request, args *structs.DeploymentPromoteRequest) (any, error) {
	args.Namespace = r.URL.Query().Get("namespace")
	args.AuthToken = authToken(r)
	var out structs.DeploymentUpdateResponse
	if err := s.rpc(r, structs.DeploymentPromoteRPC, args, &out); err != nil {
		return nil, err
	}
	setWriteMeta(w, &out.WriteMeta)
	return &out, nil
}

// POST /v1/deployment/fail/<id>.
func (s *HTTPServer) deploymentFail(w http.ResponseWriter, r *http.Request) (any, error) {
	args := structs.DeploymentFailRequest{DeploymentID: r.PathValue("id")}
	var body promoteBody
	if err := decodeOptionalBody(w, r, &body); err != nil {
		return nil, err
	}
	if body.All {
		return nil, badRequest(`"All" is a field of a promotion, not of a fail request`)
	}
	if body.DeploymentID != "" && body.DeploymentID != args.DeploymentID {
		return nil, badRequest("DeploymentID %q in the body does not match %q in the path", body.DeploymentID, args.DeploymentID)
	}
	args.Namespace = r.URL.Query().Get("namespace")
	args.AuthToken = authToken(r)
	var out structs.DeploymentUpdateResponse
	if err := s.rpc(r, structs.DeploymentFailRPC, &args, &out); err != nil {
		return nil, err
	}
	setWriteMeta(w, &out.WriteMeta)
	return &out, nil
}

// allocHealthBody is POST /v1/deployment/allocation-health/<id>.
type allocHealthBody struct {
	DeploymentID           string   `json:"DeploymentID,omitempty"`
	HealthyAllocationIDs   []string `json:"HealthyAllocationIDs,omitempty"`
	UnhealthyAllocationIDs []string `json:"UnhealthyAllocationIDs,omitempty"`
}

func (s *HTTPServer) deploymentAllocHealth(w http.ResponseWriter, r *http.Request) (any, error) {
	var body allocHealthBody
	if err := decodeBody(w, r, &body); err != nil {
		return nil, err
	}
	args := structs.DeploymentAllocHealthRequest{DeploymentID: r.PathValue("id"),
		HealthyAllocationIDs: body.HealthyAllocationIDs, UnhealthyAllocationIDs: body.UnhealthyAllocationIDs}
	if body.DeploymentID != "" && body.DeploymentID != args.DeploymentID {
		return nil, badRequest("DeploymentID %q in the body does not match %q in the path", body.DeploymentID, args.DeploymentID)
	}
	args.Namespace = r.URL.Query().Get("namespace")
	args.AuthToken = authToken(r)
	var out structs.DeploymentUpdateResponse
	if err := s.rpc(r, structs.DeploymentAllocHealthRPC, &args, &out); err != nil {
		return nil, err
	}
	setWriteMeta(w, &out.WriteMeta)
	return &out, nil
}

// Job sub-resources of deployments.
const (
	jobDeploymentsSub = "deployments"
	jobDeploymentSub  = "deployment"
	jobPromoteSub     = "promote"
)

// POST /v1/job/<id>/promote and /v1/job/<id>/scale; every other POST under /v1/job/ is refused
// (a job is registered with PUT or POST /v1/jobs).
func (s *HTTPServer) jobPost(w http.ResponseWriter, r *http.Request) (any, error) {
	id, sub, ok, err := cutJobSub(r, jobPromoteSub, jobScaleSub)
	if err != nil {
		return nil, err
	}
	switch {
	case !ok:
		w.Header().Set("Allow", "GET, PUT, DELETE")
		return nil, &httpError{code: http.StatusMethodNotAllowed,
			msg: "method POST is not allowed on " + r.URL.Path + ": POST under /v1/job/ is for /v1/job/<id>/promote and /v1/job/<id>/scale; use PUT /v1/jobs to register"}
	case sub == jobScaleSub:
		return s.jobScale(w, r, id)
	}
	return s.jobPromote(w, r, id)
}

// GET /v1/job/<id>/deployments → [Deployment] of the job, newest first;
// GET /v1/job/<id>/deployment → the newest one.
func (s *HTTPServer) jobDeployments(w http.ResponseWriter, r *http.Request, id, sub string) (any, error) {
	args := structs.DeploymentListRequest{JobID: id}
	if err := parseQuery(r, &args.QueryOptions); err != nil {
		return nil, err
	}
	if sub == jobDeploymentsSub {
		return s.deploymentListRPC(w, r, &args)
	}
	var out structs.DeploymentListResponse
	if err := s.rpc(r, structs.DeploymentListRPC, &args, &out); err != nil {
		return nil, err
	}
	setMeta(w, &out.QueryMeta)
	if len(out.Deployments) == 0 {
		return nil, notFound("job %q has no deployment", id)
	}
	return out.Deployments[0], nil
}

// PUT|POST /v1/job/<id>/promote promotes the canaries of the job's
// current version (what `appmesh job promote` calls).
func (s *HTTPServer) jobPromote(w http.ResponseWriter, r *http.Request, id string) (any, error) {
	var body promoteBody
	if err := decodeOptionalBody(w, r, &body); err != nil {
		return nil, err
	}
	args := structs.DeploymentPromoteRequest{JobID: id, DeploymentID: body.DeploymentID, All: body.All}
	return s.deploymentPromoteRPC(w, r, &args)
}

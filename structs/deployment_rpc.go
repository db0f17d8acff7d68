package structs

// Deployment RPCs (server/endpoint_deployment.go). The JSON of requests
// and answers uses Nomad's field names, as the deployment itself does.

// DeploymentListRequest lists deployments; JobID, when set, keeps those of
// one job.
type DeploymentListRequest struct {
	JobID  string `json:"JobID,omitempty"`
	Prefix string `json:"Prefix,omitempty"`
	QueryOptions
}

// DeploymentListResponse lists deployments, newest first per job.
type DeploymentListResponse struct {
	Deployments []*Deployment
	QueryMeta
}

// DeploymentSpecificRequest names one deployment by ID or unique prefix.
type DeploymentSpecificRequest struct {
	DeploymentID string
	QueryOptions
}

// SingleDeploymentResponse is one deployment.
type SingleDeploymentResponse struct {
	Deployment *Deployment
	QueryMeta
}

// DeploymentPromoteRequest promotes the canaries of a deployment, named by
// DeploymentID or, for `job promote`, by JobID (its current version).
type DeploymentPromoteRequest struct {
	DeploymentID string
	JobID        string `json:",omitempty"`
	// All is accepted for Nomad's API: appmesh always promotes every group.
	All bool `json:",omitempty"`
	WriteRequest
}

// DeploymentFailRequest fails a running deployment.
type DeploymentFailRequest struct {
	DeploymentID string
	WriteRequest
}

// DeploymentAllocHealthRequest sets the health of allocations of a
// deployment whose groups use health_check = "manual".
type DeploymentAllocHealthRequest struct {
	DeploymentID           string
	HealthyAllocationIDs   []string `json:",omitempty"`
	UnhealthyAllocationIDs []string `json:",omitempty"`
	WriteRequest
}

// DeploymentUpdateResponse answers a change of a deployment.
type DeploymentUpdateResponse struct {
	// EvalID is the evaluation that continues the rollout (promotion) or
	// the revert's ("" when none was made).
	EvalID                string `json:",omitempty"`
	DeploymentModifyIndex uint64
	// RevertedJobVersion is the version a failed deployment reverted to.
	RevertedJobVersion *uint64 `json:",omitempty"`
	WriteMeta
}

// RPC method names of deployments.
const (
	DeploymentListRPC        = "Deployment.List"
	DeploymentGetRPC         = "Deployment.GetDeployment"
	DeploymentPromoteRPC     = "Deployment.Promote"
	DeploymentFailRPC        = "Deployment.Fail"
	DeploymentAllocHealthRPC = "Deployment.SetAllocHealth"
)

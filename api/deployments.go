package api

import (
	"net/http"

	"github.com/appmesh/appmesh/structs"
)

// Deployments reads and acts on the rollouts of job versions (Nomad's
// deployment API).
type Deployments struct{ c *Client }

// Deployments returns the deployments endpoint.
func (c *Client) Deployments() *Deployments { return &Deployments{c: c} }

// List lists deployments, newest version first within a job.
func (d *Deployments) List(q *QueryOptions) ([]*structs.Deployment, *QueryMeta, error) {
	var out []*structs.Deployment
	qm, err := d.c.query("/v1/deployments", nil, q, &out)
	if err != nil {
		return nil, nil, err
	}
	return out, qm, nil
}

// Info returns one deployment by ID or unique ID prefix.
func (d *Deployments) Info(id string, q *QueryOptions) (*structs.Deployment, *QueryMeta, error) {
	var out structs.Deployment
	qm, err := d.c.query("/v1/deployment/"+escapeID(id), nil, q, &out)
	if err != nil {
		return nil, nil, err
	}
	return &out, qm, nil
}

// Promote promotes a deployment's canaries.
func (d *Deployments) Promote(id string) (*structs.DeploymentUpdateResponse, *WriteMeta, error) {
	var out structs.DeploymentUpdateResponse
	wm, err := d.c.write(http.MethodPost, "/v1/deployment/promote/"+escapeID(id), nil, map[string]any{"DeploymentID": id, "All": true}, &out)
	if err != nil {
		return nil, nil, err
	}
	return &out, wm, nil
}

// Fail fails a running deployment (and reverts the job with auto_revert).
func (d *Deployments) Fail(id string) (*structs.DeploymentUpdateResponse, *WriteMeta, error) {
	var out structs.DeploymentUpdateResponse
	wm, err := d.c.write(http.MethodPost, "/v1/deployment/fail/"+escapeID(id), nil, nil, &out)
	if err != nil {
		return nil, nil, err
	}
	return &out, wm, nil
}

// JobDeployments lists the deployments of one job, newest first.
func (j *Jobs) Deployments(id string, q *QueryOptions) ([]*structs.Deployment, *QueryMeta, error) {
	var out []*structs.Deployment
	qm, err := j.c.query("/v1/job/"+escapeID(id)+"/deployments", nil, q, &out)
	if err != nil {
		return nil, nil, err
	}
	return out, qm, nil
}

// Promote promotes the canaries of the job's current version.
func (j *Jobs) Promote(id string) (*structs.DeploymentUpdateResponse, *WriteMeta, error) {
	var out structs.DeploymentUpdateResponse
	wm, err := j.c.write(http.MethodPost, "/v1/job/"+escapeID(id)+"/promote", nil, nil, &out)
	if err != nil {
		return nil, nil, err
	}
	return &out, wm, nil
}

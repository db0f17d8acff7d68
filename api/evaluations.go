package api

import "github.com/appmesh/appmesh/structs"

// Evaluations is the /v1/evaluations and /v1/evaluation/<id> part of the API.
type Evaluations struct{ c *Client }

// Evaluations returns the evaluation endpoints.
func (c *Client) Evaluations() *Evaluations { return &Evaluations{c: c} }

// List returns evaluations; q.Prefix filters by ID prefix.
func (e *Evaluations) List(q *QueryOptions) ([]*structs.Evaluation, *QueryMeta, error) {
	var out []*structs.Evaluation
	qm, err := e.c.query("/v1/evaluations", nil, q, &out)
	if err != nil {
		return nil, nil, err
	}
	return out, qm, nil
}

// Info returns one evaluation by its full ID.
func (e *Evaluations) Info(id string, q *QueryOptions) (*structs.Evaluation, *QueryMeta, error) {
	var out structs.Evaluation
	qm, err := e.c.query("/v1/evaluation/"+escapeID(id), nil, q, &out)
	if err != nil {
		return nil, nil, err
	}
	return &out, qm, nil
}

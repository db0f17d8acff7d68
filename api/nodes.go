package api

import "github.com/appmesh/appmesh/structs"

// Nodes is the /v1/nodes and /v1/node/<id> part of the API.
type Nodes struct{ c *Client }

// Nodes returns the node endpoints.
func (c *Client) Nodes() *Nodes { return &Nodes{c: c} }

// List returns the client nodes; q.Prefix filters by ID prefix.
func (n *Nodes) List(q *QueryOptions) ([]*structs.NodeListStub, *QueryMeta, error) {
	var out []*structs.NodeListStub
	qm, err := n.c.query("/v1/nodes", nil, q, &out)
	if err != nil {
		return nil, nil, err
	}
	return out, qm, nil
}

// Info returns one node by its full ID.
func (n *Nodes) Info(id string, q *QueryOptions) (*structs.Node, *QueryMeta, error) {
	var out structs.Node
	qm, err := n.c.query("/v1/node/"+escapeID(id), nil, q, &out)
	if err != nil {
		return nil, nil, err
	}
	return &out, qm, nil
}

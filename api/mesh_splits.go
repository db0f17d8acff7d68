package api

import (
	"fmt"
	"net/http"

	"github.com/appmesh/appmesh/structs"
)

// Splits are the mesh's traffic splits: /v1/mesh/splits and
// /v1/mesh/split/<namespace>/<service>.
type Splits struct{ c *Client }

// Splits returns the traffic split endpoints.
func (c *Client) Splits() *Splits { return &Splits{c: c} }

// Upsert creates or replaces the split of its service; an empty namespace
// is the client's.
func (s *Splits) Upsert(sp *structs.MeshSplit) (*WriteMeta, error) {
	if sp == nil {
		return nil, fmt.Errorf("a split is required")
	}
	return s.c.write(http.MethodPost, "/v1/mesh/splits", nil, sp, nil)
}

// List returns the splits of the query's namespace ("*": of every
// namespace the token may read). With q.WaitIndex it blocks until they
// change.
func (s *Splits) List(q *QueryOptions) ([]*structs.MeshSplit, *QueryMeta, error) {
	var out []*structs.MeshSplit
	qm, err := s.c.query("/v1/mesh/splits", nil, q, &out)
	if err != nil {
		return nil, nil, err
	}
	return out, qm, nil
}

// Info returns the split of one service.
func (s *Splits) Info(namespace, service string, q *QueryOptions) (*structs.MeshSplit, *QueryMeta, error) {
	if namespace == "" || service == "" {
		return nil, nil, fmt.Errorf("a namespace and a service are required")
	}
	var out structs.MeshSplit
	qm, err := s.c.query("/v1/mesh/split/"+escapeID(namespace)+"/"+escapeID(service), nil, q, &out)
	if err != nil {
		return nil, nil, err
	}
	return &out, qm, nil
}

// Delete removes the split of one service.
func (s *Splits) Delete(namespace, service string) (*WriteMeta, error) {
	if namespace == "" || service == "" {
		return nil, fmt.Errorf("a namespace and a service are required")
	}
	return s.c.write(http.MethodDelete, "/v1/mesh/split/"+escapeID(namespace)+"/"+escapeID(service), nil, nil, nil)
}

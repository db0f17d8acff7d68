package api

import (
	"net/http"

	"github.com/appmesh/appmesh/structs"
)

// MeshCA is the service mesh's certificate authority: /v1/mesh/ca/roots
// and /v1/mesh/ca/rotate. Private keys never leave the servers; these
// calls see certificates only.
type MeshCA struct{ c *Client }

// MeshCA returns the mesh CA endpoints.
func (c *Client) MeshCA() *MeshCA { return &MeshCA{c: c} }

// Roots returns the trusted roots, the active one first, and the trust
// domain. With q.WaitIndex it blocks until they change (a rotation, or a
// retired root dropped).
func (m *MeshCA) Roots(q *QueryOptions) (*structs.MeshCARootsResponse, *QueryMeta, error) {
	var out structs.MeshCARootsResponse
	qm, err := m.c.query("/v1/mesh/ca/roots", nil, q, &out)
	if err != nil {
		return nil, nil, err
	}
	return &out, qm, nil
}

// Rotate makes a new root active (operator write). The old root stays
// trusted until every leaf it signed has expired; client agents renew
// their leaves at once.
func (m *MeshCA) Rotate() (*structs.MeshRotateRootResponse, error) {
	var out structs.MeshRotateRootResponse
	if _, err := m.c.write(http.MethodPost, "/v1/mesh/ca/rotate", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

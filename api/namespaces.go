package api

import (
	"fmt"
	"net/http"

	"github.com/appmesh/appmesh/structs"
)

// Namespaces is the /v1/namespaces and /v1/namespace/<name> part of the API.
type Namespaces struct{ c *Client }

// Namespaces returns the namespace endpoints.
func (c *Client) Namespaces() *Namespaces { return &Namespaces{c: c} }

// List returns the namespaces the token may see.
func (n *Namespaces) List(q *QueryOptions) ([]*structs.Namespace, *QueryMeta, error) {
	var out []*structs.Namespace
	qm, err := n.c.query("/v1/namespaces", nil, q, &out)
	if err != nil {
		return nil, nil, err
	}
	return out, qm, nil
}

// Info returns one namespace.
func (n *Namespaces) Info(name string, q *QueryOptions) (*structs.Namespace, *QueryMeta, error) {
	if name == "" {
		return nil, nil, fmt.Errorf("a namespace name is required")
	}
	var out structs.Namespace
	qm, err := n.c.query("/v1/namespace/"+escapeID(name), nil, q, &out)
	if err != nil {
		return nil, nil, err
	}
	return &out, qm, nil
}

// Upsert creates the namespace ns.Name or replaces its description and meta.
func (n *Namespaces) Upsert(ns *structs.Namespace) (*structs.Namespace, *WriteMeta, error) {
	if ns == nil || ns.Name == "" {
		return nil, nil, fmt.Errorf("a namespace with a name is required")
	}
	var out structs.Namespace
	wm, err := n.c.write(http.MethodPut, "/v1/namespace/"+escapeID(ns.Name), nil, ns, &out)
	if err != nil {
		return nil, nil, err
	}
	return &out, wm, nil
}

// Delete removes a namespace.
func (n *Namespaces) Delete(name string) (*WriteMeta, error) {
	if name == "" {
		return nil, fmt.Errorf("a namespace name is required")
	}
	return n.c.write(http.MethodDelete, "/v1/namespace/"+escapeID(name), nil, nil, nil)
}

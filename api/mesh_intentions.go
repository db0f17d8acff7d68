package api

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/appmesh/appmesh/structs"
)

// Intentions are the mesh's allow/deny rules between services:
// /v1/mesh/intentions, /v1/mesh/intention/<id> and
// /v1/mesh/intentions/check.
type Intentions struct{ c *Client }

// Intentions returns the intention endpoints.
func (c *Client) Intentions() *Intentions { return &Intentions{c: c} }

// IntentionWriteOptions tunes Upsert. CreateOnly refuses to replace an
// intention with the same source and destination.
type IntentionWriteOptions struct {
	CreateOnly bool
}

// Upsert creates an intention, or replaces the one with the same source
// and destination (keeping its ID). Empty namespaces are the client's.
// It returns the stored intention with its ID and precedence.
func (i *Intentions) Upsert(in *structs.Intention, o *IntentionWriteOptions) (*structs.Intention, *WriteMeta, error) {
	if in == nil {
		return nil, nil, fmt.Errorf("an intention is required")
	}
	var params url.Values
	if o != nil && o.CreateOnly {
		params = url.Values{"create_only": {"true"}}
	}
	var out structs.Intention
	wm, err := i.c.write(http.MethodPost, "/v1/mesh/intentions", params, in, &out)
	if err != nil {
		return nil, nil, err
	}
	return &out, wm, nil
}

// List returns the intentions into the query's namespace (or into any
// namespace), most precise first, with the effective default policy of
// each namespace listed. "*" lists all the token may read. With
// q.WaitIndex it blocks until they change.
func (i *Intentions) List(q *QueryOptions) (*structs.IntentionListResponse, *QueryMeta, error) {
	var out structs.IntentionListResponse
	qm, err := i.c.query("/v1/mesh/intentions", nil, q, &out)
	if err != nil {
		return nil, nil, err
	}
	return &out, qm, nil
}

// Get returns one intention into the query's namespace ("*": any).
func (i *Intentions) Get(id string, q *QueryOptions) (*structs.Intention, *QueryMeta, error) {
	if id == "" {
		return nil, nil, fmt.Errorf("an intention ID is required")
	}
	var out structs.Intention
	qm, err := i.c.query("/v1/mesh/intention/"+escapeID(id), nil, q, &out)
	if err != nil {
		return nil, nil, err
	}
	return &out, qm, nil
}

// Delete removes one intention by ID.
func (i *Intentions) Delete(id string) (*WriteMeta, error) {
	if id == "" {
		return nil, fmt.Errorf("an intention ID is required")
	}
	return i.c.write(http.MethodDelete, "/v1/mesh/intention/"+escapeID(id), nil, nil, nil)
}

// Check tells whether source may connect to destination ("ns/service",
// or a bare service in the client's namespace) and why.
func (i *Intentions) Check(source, destination string, q *QueryOptions) (*structs.IntentionCheckResponse, *QueryMeta, error) {
	if source == "" || destination == "" {
		return nil, nil, fmt.Errorf("a source and a destination are required")
	}
	var out structs.IntentionCheckResponse
	params := url.Values{"source": {source}, "destination": {destination}}
	qm, err := i.c.query("/v1/mesh/intentions/check", params, q, &out)
	if err != nil {
		return nil, nil, err
	}
	return &out, qm, nil
}

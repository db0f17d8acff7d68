package api

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/appmesh/appmesh/structs"
)

// Services is the built-in service catalog: /v1/services and
// /v1/service/<name> (services with provider = "appmesh" or "nomad").
type Services struct{ c *Client }

// Services returns the service catalog endpoints.
func (c *Client) Services() *Services { return &Services{c: c} }

// List summarises the services of the query's namespace ("*": every
// namespace the token may read), with their tags and instance counts.
func (s *Services) List(q *QueryOptions) ([]*structs.ServiceStub, *QueryMeta, error) {
	var out []*structs.ServiceStub
	qm, err := s.c.query("/v1/services", nil, q, &out)
	if err != nil {
		return nil, nil, err
	}
	return out, qm, nil
}

// ServiceQuery narrows Get: Tag keeps instances with that tag; All also
// returns instances whose checks do not pass.
type ServiceQuery struct {
	Tag string
	All bool
}

// Get returns the instances of a service, passing ones only unless sq.All.
// With q.WaitIndex it blocks until they change.
func (s *Services) Get(name string, sq *ServiceQuery, q *QueryOptions) ([]*structs.ServiceRegistration, *QueryMeta, error) {
	if name == "" {
		return nil, nil, fmt.Errorf("a service name is required")
	}
	params := url.Values{}
	if sq != nil && sq.Tag != "" {
		params.Set("tag", sq.Tag)
	}
	if sq != nil && sq.All {
		params.Set("all", "true")
	}
	var out []*structs.ServiceRegistration
	qm, err := s.c.query("/v1/service/"+escapeID(name), params, q, &out)
	if err != nil {
		return nil, nil, err
	}
	return out, qm, nil
}

// Delete removes one instance of a service from the catalog (in the
// client's namespace).
func (s *Services) Delete(name, id string) (*WriteMeta, error) {
	if name == "" || id == "" {
		return nil, fmt.Errorf("a service name and an instance ID are required")
	}
	return s.c.write(http.MethodDelete, "/v1/service/"+escapeID(name)+"/"+escapeID(id), nil, nil, nil)
}

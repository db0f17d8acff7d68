package agent

import (
	"net/http"

	"github.com/appmesh/appmesh/structs"
)

// registerServiceRoutes wires the built-in service catalog. Every route
// is checked by its RPC's rule (server/endpoint_service.go): read-job in
// the namespace to read, submit-job to delete.
func (s *HTTPServer) registerServiceRoutes() {
	s.route("/v1/services", map[string]door{http.MethodGet: viaRPC(s.serviceList)})
	s.route("/v1/service/{name}", map[string]door{http.MethodGet: viaRPC(s.serviceGet)})
	s.route("/v1/service/{name}/{id}", map[string]door{http.MethodDelete: viaRPC(s.serviceDelete)})
}

// GET /v1/services[?namespace=N|*&prefix=P] → one summary per service.
func (s *HTTPServer) serviceList(w http.ResponseWriter, r *http.Request) (any, error) {
	var args structs.ServiceListRequest
	if err := parseQuery(r, &args.QueryOptions); err != nil {
		return nil, err
	}
	var out structs.ServiceListResponse
	if err := s.rpc(r, structs.ServiceListRPC, &args, &out); err != nil {
		return nil, err
	}
	setMeta(w, &out.QueryMeta)
	return nonNil(out.Services), nil
}

// GET /v1/service/<name>[?tag=T&all=true&index=N&wait=D] → the passing
// instances (all of them with ?all).
func (s *HTTPServer) serviceGet(w http.ResponseWriter, r *http.Request) (any, error) {
	args := structs.ServiceGetRequest{ServiceName: r.PathValue("name"), Tag: r.URL.Query().Get("tag")}
	if err := parseQuery(r, &args.QueryOptions); err != nil {
		return nil, err
	}
	all, err := boolParam(r, "all")
	if err != nil {
		return nil, err
	}
	args.All = all
	var out structs.ServiceGetResponse
	if err := s.rpc(r, structs.ServiceGetRPC, &args, &out); err != nil {
		return nil, err
	}
	setMeta(w, &out.QueryMeta)
	return nonNil(out.Instances), nil
}

// DELETE /v1/service/<name>/<id>[?namespace=N] removes one instance.
func (s *HTTPServer) serviceDelete(w http.ResponseWriter, r *http.Request) (any, error) {
	args := structs.ServiceDeleteRequest{ServiceName: r.PathValue("name"), ID: r.PathValue("id")}
	args.Namespace = r.URL.Query().Get("namespace")
	var out structs.GenericResponse
	if err := s.rpc(r, structs.ServiceDeleteRPC, &args, &out); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

package agent

import (
	"net/http"

	"github.com/appmesh/appmesh/structs"
)

// registerMeshCARoutes wires the service mesh's CA. Both routes go through
// their RPC's rule (server/endpoint_mesh_ca.go): any valid token reads the
// roots (certificates only, never a key), operator write rotates.
func (s *HTTPServer) registerMeshCARoutes() {
	s.route("/v1/mesh/ca/roots", map[string]door{http.MethodGet: viaRPC(s.meshCARoots)})
	s.route("/v1/mesh/ca/rotate", map[string]door{
		http.MethodPost: viaRPC(s.meshCARotate), http.MethodPut: viaRPC(s.meshCARotate)})
}

// GET /v1/mesh/ca/roots[?index=N&wait=D] → the trusted roots, the active
// one first; a blocking query on the roots' index.
func (s *HTTPServer) meshCARoots(w http.ResponseWriter, r *http.Request) (any, error) {
	var args structs.MeshCARootsRequest
	if err := parseQuery(r, &args.QueryOptions); err != nil {
		return nil, err
	}
	var out structs.MeshCARootsResponse
	if err := s.rpc(r, structs.MeshCARootsRPC, &args, &out); err != nil {
		return nil, err
	}
	setMeta(w, &out.QueryMeta)
	if out.Roots == nil {
		out.Roots = []*structs.MeshCARoot{}
	}
	return &out, nil
}

// POST /v1/mesh/ca/rotate → the new active root; the old one stays
// trusted until its leaves have expired.
func (s *HTTPServer) meshCARotate(w http.ResponseWriter, r *http.Request) (any, error) {
	var out structs.MeshRotateRootResponse
	if err := s.rpc(r, structs.MeshRotateRootRPC, &structs.MeshRotateRootRequest{}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

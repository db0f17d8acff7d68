package agent

import (
	"net/http"

	"github.com/appmesh/appmesh/structs"
)

// registerGCRoutes: a forced garbage collection (operator write: it deletes
// history cluster-wide) and the purge of a node (node write, checked by
// the Node.Purge RPC).
func (s *HTTPServer) registerGCRoutes() {
	s.route("/v1/system/gc", map[string]door{
		http.MethodPut: operatorAccess(write, s.systemGC), http.MethodPost: operatorAccess(write, s.systemGC)})
	s.route("/v1/node/{id}/purge", map[string]door{
		http.MethodPut: viaRPC(s.nodePurge), http.MethodPost: viaRPC(s.nodePurge)})
}

// PUT /v1/system/gc → {"collected": {"evals": N, ...}, "index": N}.
func (s *HTTPServer) systemGC(w http.ResponseWriter, r *http.Request) (any, error) {
	var out structs.SystemGCResponse
	if err := s.rpc(r, structs.SystemGCRPC, &structs.SystemGCRequest{}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// PUT /v1/node/<id>/purge → {"eval_ids": [...], "index": N}.
func (s *HTTPServer) nodePurge(w http.ResponseWriter, r *http.Request) (any, error) {
	args := structs.NodePurgeRequest{NodeID: r.PathValue("id")}
	var out structs.NodePurgeResponse
	if err := s.rpc(r, structs.NodePurgeRPC, &args, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

package agent

import (
	"net/http"

	"github.com/appmesh/appmesh/structs"
)

// GET /v1/nodes[?prefix=] → []NodeListStub.
func (s *HTTPServer) nodeList(w http.ResponseWriter, r *http.Request) (any, error) {
	var args structs.NodeListRequest
	if err := parseQuery(r, &args.QueryOptions); err != nil {
		return nil, err
	}
	var out structs.NodeListResponse
	if err := s.rpc(r, structs.NodeListRPC, &args, &out); err != nil {
		return nil, err
	}
	setMeta(w, &out.QueryMeta)
	return nonNil(out.Nodes), nil
}

// GET /v1/node/<id> → Node.
func (s *HTTPServer) nodeGet(w http.ResponseWriter, r *http.Request) (any, error) {
	args := structs.NodeSpecificRequest{NodeID: r.PathValue("id")}
	if err := parseQuery(r, &args.QueryOptions); err != nil {
		return nil, err
	}
	var out structs.SingleNodeResponse
	if err := s.rpc(r, structs.NodeGetNodeRPC, &args, &out); err != nil {
		return nil, err
	}
	setMeta(w, &out.QueryMeta)
	if out.Node == nil {
		return nil, notFound("node %q not found", args.NodeID)
	}
	return out.Node, nil
}

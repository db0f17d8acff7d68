package agent

import (
	"net/http"

	"github.com/appmesh/appmesh/structs"
)

// GET /v1/allocations[?prefix=] → []AllocListStub.
func (s *HTTPServer) allocList(w http.ResponseWriter, r *http.Request) (any, error) {
	var args structs.AllocListRequest
	if err := parseQuery(r, &args.QueryOptions); err != nil {
		return nil, err
	}
	var out structs.AllocListResponse
	if err := s.rpc(r, structs.AllocListRPC, &args, &out); err != nil {
		return nil, err
	}
	setMeta(w, &out.QueryMeta)
	return nonNil(out.Allocations), nil
}

// GET /v1/allocation/<id> → Allocation.
func (s *HTTPServer) allocGet(w http.ResponseWriter, r *http.Request) (any, error) {
	args := structs.AllocSpecificRequest{AllocID: r.PathValue("id")}
	if err := parseQuery(r, &args.QueryOptions); err != nil {
		return nil, err
	}
	var out structs.SingleAllocResponse
	if err := s.rpc(r, structs.AllocGetAllocRPC, &args, &out); err != nil {
		return nil, err
	}
	setMeta(w, &out.QueryMeta)
	if out.Alloc == nil {
		return nil, notFound("allocation %q not found", args.AllocID)
	}
	return out.Alloc, nil
}

package agent

import (
	"net/http"

	"github.com/appmesh/appmesh/structs"
)

// GET /v1/evaluations[?prefix=] → []Evaluation.
func (s *HTTPServer) evalList(w http.ResponseWriter, r *http.Request) (any, error) {
	var args structs.EvalListRequest
	if err := parseQuery(r, &args.QueryOptions); err != nil {
		return nil, err
	}
	var out structs.EvalListResponse
	if err := s.rpc(r, structs.EvalListRPC, &args, &out); err != nil {
		return nil, err
	}
	setMeta(w, &out.QueryMeta)
	return nonNil(out.Evaluations), nil
}

// GET /v1/evaluation/<id> → Evaluation.
func (s *HTTPServer) evalGet(w http.ResponseWriter, r *http.Request) (any, error) {
	args := structs.EvalSpecificRequest{EvalID: r.PathValue("id")}
	if err := parseQuery(r, &args.QueryOptions); err != nil {
		return nil, err
	}
	var out structs.SingleEvalResponse
	if err := s.rpc(r, structs.EvalGetEvalRPC, &args, &out); err != nil {
		return nil, err
	}
	setMeta(w, &out.QueryMeta)
	if out.Eval == nil {
		return nil, notFound("evaluation %q not found", args.EvalID)
	}
	return out.Eval, nil
}

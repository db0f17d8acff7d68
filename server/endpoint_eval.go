package server

import (
	"fmt"

	"github.com/appmesh/appmesh/acl"
	"github.com/appmesh/appmesh/server/state"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-memdb"
)

// Eval is the RPC endpoint for evaluations.
type Eval struct{ srv *Server }

// List returns every evaluation, newest first.
func (e *Eval) List(args *structs.EvalListRequest, reply *structs.EvalListResponse) error {
	if done, err := e.srv.forward("Eval.List", args.AllowStale, args, reply); done {
		return err
	}
	inScope, err := e.srv.listFilter(&args.QueryOptions, acl.CapabilityReadJob)
	if err != nil {
		return err
	}
	return e.srv.blockingRPC(&args.QueryOptions, &reply.QueryMeta, func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
		evals, err := st.Evals(ws)
		if err != nil {
			return 0, err
		}
		reply.Evaluations = make([]*structs.Evaluation, 0, len(evals))
		for _, ev := range evals {
			if args.Prefix != "" && !hasPrefix(ev.ID, args.Prefix) || !inScope(ev.Namespace) {
				continue
			}
			reply.Evaluations = append(reply.Evaluations, ev)
		}
		sortEvals(reply.Evaluations)
		return st.Index("evals")
	})
}

// GetEval returns one evaluation (nil when missing).
func (e *Eval) GetEval(args *structs.EvalSpecificRequest, reply *structs.SingleEvalResponse) error {
	if done, err := e.srv.forward("Eval.GetEval", args.AllowStale, args, reply); done {
		return err
	}
	if args.EvalID == "" {
		return fmt.Errorf("invalid: evaluation ID is required")
	}
	return e.srv.blockingRPC(&args.QueryOptions, &reply.QueryMeta, func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
		ev, err := st.EvalByID(ws, args.EvalID)
		if err != nil {
			return 0, err
		}
		reply.Eval = ev
		if ev != nil {
			return ev.ModifyIndex, nil
		}
		return st.Index("evals")
	})
}

package server

import (
	"fmt"

	"github.com/appmesh/appmesh/acl"
	"github.com/appmesh/appmesh/server/state"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-memdb"
)

// Alloc is the RPC endpoint for allocations.
type Alloc struct{ srv *Server }

// List returns every allocation (optionally those whose ID has a prefix).
func (a *Alloc) List(args *structs.AllocListRequest, reply *structs.AllocListResponse) error {
	if done, err := a.srv.forward("Alloc.List", args.AllowStale, args, reply); done {
		return err
	}
	inScope, err := a.srv.listFilter(&args.QueryOptions, acl.CapabilityReadJob)
	if err != nil {
		return err
	}
	return a.srv.blockingRPC(&args.QueryOptions, &reply.QueryMeta, func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
		allocs, err := st.Allocs(ws)
		if err != nil {
			return 0, err
		}
		reply.Allocations = make([]*structs.AllocListStub, 0, len(allocs))
		for _, al := range allocs {
			if args.Prefix != "" && !hasPrefix(al.ID, args.Prefix) || !inScope(al.Namespace) {
				continue
			}
			reply.Allocations = append(reply.Allocations, al.Stub())
		}
		sortAllocStubs(reply.Allocations)
		return st.Index("allocs")
	})
}

// GetAlloc returns one allocation (nil when missing).
func (a *Alloc) GetAlloc(args *structs.AllocSpecificRequest, reply *structs.SingleAllocResponse) error {
	if done, err := a.srv.forward("Alloc.GetAlloc", args.AllowStale, args, reply); done {
		return err
	}
	if args.AllocID == "" {
		return fmt.Errorf("invalid: allocation ID is required")
	}
	return a.srv.blockingRPC(&args.QueryOptions, &reply.QueryMeta, func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
		alloc, err := st.AllocByID(ws, args.AllocID)
		if err != nil {
			return 0, err
		}
		reply.Alloc = alloc
		if alloc != nil {
			return alloc.ModifyIndex, nil
		}
		return st.Index("allocs")
	})
}

// GetAllocs returns the listed allocations that exist, in one call: a
// client with many new allocations fetches them in batches instead of one
// round trip each.
func (a *Alloc) GetAllocs(args *structs.AllocsGetRequest, reply *structs.AllocsGetResponse) error {
	if done, err := a.srv.forward(structs.AllocGetAllocsRPC, args.AllowStale, args, reply); done {
		return err
	}
	if len(args.AllocIDs) > structs.MaxAllocsPerFetch {
		return fmt.Errorf("invalid: %d allocations asked, at most %d per call", len(args.AllocIDs), structs.MaxAllocsPerFetch)
	}
	return a.srv.blockingRPC(&args.QueryOptions, &reply.QueryMeta, func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
		reply.Allocs = make([]*structs.Allocation, 0, len(args.AllocIDs))
		var idx uint64
		for _, id := range args.AllocIDs {
			alloc, err := st.AllocByID(nil, id)
			if err != nil {
				return 0, err
			}
			if alloc != nil {
				reply.Allocs = append(reply.Allocs, alloc)
				idx = maxIndex(idx, alloc.ModifyIndex)
			}
		}
		return idx, nil
	})
}

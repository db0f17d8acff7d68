package server

import (
	"fmt"

	"github.com/appmesh/appmesh/acl"
	"github.com/appmesh/appmesh/server/state"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-memdb"
)

// Access rules of the traffic splits: a split belongs to its service's
// namespace; writing needs submit-job there (it reroutes the service's
// traffic, as a job change would), reading needs read-job. A client
// agent's node secret reads every namespace (nodeACL).
func init() {
	rpcRules[structs.MeshSplitUpsertRPC] = withLeast(func(r *authRequest) error {
		args := r.args.(*structs.SplitUpsertRequest)
		ns := r.namespace()
		if args.Split != nil {
			ns = orNamespace(args.Split.Namespace, r.ns)
		}
		return r.acl.CheckNamespace(ns, acl.CapabilitySubmitJob)
	}, leastSubmitJob)
	rpcRules[structs.MeshSplitDeleteRPC] = nsRule(acl.CapabilitySubmitJob)
	rpcRules[structs.MeshSplitListRPC] = listRule(acl.CapabilityReadJob)
}

// SplitUpsert creates or replaces the split of one service. An empty
// namespace is the request's.
func (m *Mesh) SplitUpsert(args *structs.SplitUpsertRequest, reply *structs.GenericResponse) error {
	if done, err := m.srv.forward(structs.MeshSplitUpsertRPC, false, args, reply); done {
		return err
	}
	if args.Split == nil {
		return fmt.Errorf("invalid: a split is required")
	}
	sp := args.Split.Copy()
	sp.Namespace = orNamespace(sp.Namespace, args.Namespace)
	if err := sp.Validate(); err != nil {
		return fmt.Errorf("invalid: split of service %q: %w", sp.Service, err)
	}
	if err := namespaceExists(m.srv.State(), sp.Namespace); err != nil {
		return err
	}
	entry := &structs.MeshSplitEntry{Op: structs.MeshOpUpsert, Split: sp}
	idx, err := m.srv.applyChecked(structs.MeshSplitRequestType, entry,
		func(tx *state.WriteTxn) error { return tx.ApplyMeshSplit(entry) })
	if err != nil {
		return err
	}
	reply.Index = idx
	return nil
}

// SplitDelete removes the split of one service of the request's namespace.
func (m *Mesh) SplitDelete(args *structs.SplitDeleteRequest, reply *structs.GenericResponse) error {
	if done, err := m.srv.forward(structs.MeshSplitDeleteRPC, false, args, reply); done {
		return err
	}
	if args.Service == "" {
		return fmt.Errorf("invalid: name the service whose split to delete")
	}
	entry := &structs.MeshSplitEntry{Op: structs.MeshOpDelete, Namespace: namespaceOf(args.Namespace), Service: args.Service}
	idx, err := m.srv.applyChecked(structs.MeshSplitRequestType, entry,
		func(tx *state.WriteTxn) error { return tx.ApplyMeshSplit(entry) })
	if err != nil {
		return err
	}
	reply.Index = idx
	return nil
}

// SplitList is a blocking query on the splits of a namespace ("*": of
// every namespace the token may read), or of one service.
func (m *Mesh) SplitList(args *structs.SplitListRequest, reply *structs.SplitListResponse) error {
	if done, err := m.srv.forward(structs.MeshSplitListRPC, args.AllowStale, args, reply); done {
		return err
	}
	inScope, err := m.srv.listFilter(&args.QueryOptions, acl.CapabilityReadJob)
	if err != nil {
		return err
	}
	return m.srv.blockingRPC(&args.QueryOptions, &reply.QueryMeta, func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
		all, err := st.MeshSplits(ws, "")
		if err != nil {
			return 0, err
		}
		reply.Splits = []*structs.MeshSplit{}
		for _, sp := range all {
			if inScope(sp.Namespace) && (args.Service == "" || sp.Service == args.Service) {
				reply.Splits = append(reply.Splits, sp)
			}
		}
		return st.Index(state.TableMeshSplits)
	})
}

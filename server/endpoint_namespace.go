package server

import (
	"fmt"

	"github.com/appmesh/appmesh/server/state"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-memdb"
)

// Namespace is the RPC endpoint of namespaces.
type Namespace struct{ srv *Server }

// Upsert creates or updates namespaces.
func (n *Namespace) Upsert(args *structs.NamespaceUpsertRequest, reply *structs.GenericResponse) error {
	if done, err := n.srv.forward(structs.NamespaceUpsertRPC, false, args, reply); done {
		return err
	}
	if len(args.Namespaces) == 0 {
		return fmt.Errorf("invalid: no namespace given")
	}
	for _, ns := range args.Namespaces {
		if ns == nil {
			return fmt.Errorf("invalid: empty namespace")
		}
		if err := state.ValidateName("namespace", ns.Name); err != nil {
			return err
		}
	}
	idx, err := n.srv.applyChecked(structs.NamespaceUpsertRequestType, &structs.NamespaceUpsertEntry{Namespaces: args.Namespaces},
		func(tx *state.WriteTxn) error { return tx.UpsertNamespaces(args.Namespaces) })
	reply.Index = idx
	return err
}

// Delete removes empty namespaces; the state refuses "default" and any
// namespace that still holds jobs.
func (n *Namespace) Delete(args *structs.NamespaceDeleteRequest, reply *structs.GenericResponse) error {
	if done, err := n.srv.forward(structs.NamespaceDeleteRPC, false, args, reply); done {
		return err
	}
	if len(args.Names) == 0 {
		return fmt.Errorf("invalid: no namespace name given")
	}
	for _, name := range args.Names {
		if name == structs.DefaultNamespace {
			return fmt.Errorf("invalid: the default namespace cannot be deleted")
		}
	}
	idx, err := n.srv.applyChecked(structs.NamespaceDeleteRequestType, &structs.NamespaceDeleteEntry{Names: args.Names},
		func(tx *state.WriteTxn) error { return tx.DeleteNamespaces(args.Names) })
	reply.Index = idx
	return err
}

// List returns the namespaces the token has any capability in.
func (n *Namespace) List(args *structs.GenericRequest, reply *structs.NamespaceListResponse) error {
	if done, err := n.srv.forward(structs.NamespaceListRPC, args.AllowStale, args, reply); done {
		return err
	}
	a, _, err := n.srv.ResolveToken(args.AuthToken)
	if err != nil {
		return err
	}
	return n.srv.blockingRPC(&args.QueryOptions, &reply.QueryMeta, func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
		all, err := st.Namespaces(ws)
		if err != nil {
			return 0, err
		}
		reply.Namespaces = make([]*structs.Namespace, 0, len(all))
		for _, ns := range all {
			if a.AllowNamespace(ns.Name) && (args.Prefix == "" || hasPrefix(ns.Name, args.Prefix)) {
				reply.Namespaces = append(reply.Namespaces, ns)
			}
		}
		return st.Index(state.TableNamespaces)
	})
}

// Get reads one namespace.
func (n *Namespace) Get(args *structs.NamespaceSpecificRequest, reply *structs.NamespaceResponse) error {
	if done, err := n.srv.forward(structs.NamespaceGetRPC, args.AllowStale, args, reply); done {
		return err
	}
	return n.srv.blockingRPC(&args.QueryOptions, &reply.QueryMeta, func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
		ns, err := st.NamespaceByName(ws, args.Name)
		if err != nil {
			return 0, err
		}
		if ns == nil {
			return 0, fmt.Errorf("namespace %q: %w", args.Name, structs.ErrNotFound)
		}
		reply.Namespace = ns
		return st.Index(state.TableNamespaces)
	})
}

// requireNamespace refuses work in a namespace that does not exist.
func (s *Server) requireNamespace(name string) error {
	ns, err := s.State().NamespaceByName(nil, namespaceOf(name))
	if err != nil {
		return err
	}
	if ns == nil {
		return fmt.Errorf("invalid: namespace %q does not exist: create it with `appmesh namespace apply %s`", name, name)
	}
	return nil
}

// listFilter answers which namespaces a list request covers: the one it
// names (default: "default"), or with "*" every namespace where the token
// has the capability.
func (s *Server) listFilter(opts *structs.QueryOptions, capability string) (func(ns string) bool, error) {
	if opts.Namespace != structs.AllNamespacesSentinel {
		want := namespaceOf(opts.Namespace)
		return func(ns string) bool { return namespaceOf(ns) == want }, nil
	}
	a, _, err := s.ResolveToken(opts.AuthToken)
	if err != nil {
		return nil, err
	}
	return func(ns string) bool { return a.AllowNamespaceOperation(namespaceOf(ns), capability) }, nil
}

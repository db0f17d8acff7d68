package server

import (
	"fmt"

	"github.com/appmesh/appmesh/acl"
	"github.com/appmesh/appmesh/mesh/intention"
	"github.com/appmesh/appmesh/server/state"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-memdb"
)

// Access rules of the intentions. An intention belongs to its destination's
// namespace: writing one needs submit-job there (it changes who may reach
// the namespace's services, as a job change would), reading needs
// read-job. A client agent's node secret reads every namespace (nodeACL),
// which its proxies need. An intention whose destination is any namespace
// ("*") governs all of them and needs operator write.
func init() {
	rpcRules[structs.MeshIntentionUpsertRPC] = withLeast(checkIntentionUpsert, leastSubmitJob)
	rpcRules[structs.MeshIntentionDeleteRPC] = withLeast(checkIntentionDelete, leastSubmitJob)
	rpcRules[structs.MeshIntentionListRPC] = listRule(acl.CapabilityReadJob)
	rpcRules[structs.MeshIntentionCheckRPC] = withLeast(func(r *authRequest) error {
		args := r.args.(*structs.IntentionCheckRequest)
		return r.acl.CheckNamespace(orNamespace(args.DestinationNamespace, r.ns), acl.CapabilityReadJob)
	}, leastReadJob)
}

// orNamespace is ns, or the request's namespace when ns is empty.
func orNamespace(ns, reqNS string) string {
	if ns == "" {
		return namespaceOf(reqNS)
	}
	return ns
}

// checkIntentionWrite checks a write of an intention whose destination is
// in namespace ns.
func checkIntentionWrite(r *authRequest, ns string) error {
	if ns == structs.MeshWildcard {
		if err := r.acl.CheckOperator(acl.PolicyWrite); err != nil {
			return fmt.Errorf("%w (an intention into any namespace governs all of them)", err)
		}
		return nil
	}
	return r.acl.CheckNamespace(ns, acl.CapabilitySubmitJob)
}

func checkIntentionUpsert(r *authRequest) error {
	args := r.args.(*structs.IntentionUpsertRequest)
	ns := r.namespace()
	if args.Intention != nil {
		ns = orNamespace(args.Intention.DestinationNamespace, r.ns)
	}
	if err := checkIntentionWrite(r, ns); err != nil {
		return err
	}
	// Moving an intention by ID also needs the right on where it was.
	if args.Intention != nil && args.Intention.ID != "" {
		old, err := r.srv.State().MeshIntentionByID(nil, args.Intention.ID)
		if err != nil {
			return err
		}
		if old != nil && old.DestinationNamespace != ns {
			return checkIntentionWrite(r, old.DestinationNamespace)
		}
	}
	return nil
}

// checkIntentionDelete checks the namespace of the stored intention; for
// an unknown one the request's namespace decides, so that "not found" is
// told only to those who may write there.
func checkIntentionDelete(r *authRequest) error {
	args := r.args.(*structs.IntentionDeleteRequest)
	old, err := findIntention(r.srv.State(), args)
	if err != nil {
		return err
	}
	if old == nil {
		return checkIntentionWrite(r, orNamespace(args.DestinationNamespace, r.ns))
	}
	return checkIntentionWrite(r, old.DestinationNamespace)
}

// findIntention looks up the intention a delete names, by ID or by its
// source and destination (empty namespaces: the request's).
func findIntention(st *state.StateStore, args *structs.IntentionDeleteRequest) (*structs.Intention, error) {
	if args.ID != "" {
		return st.MeshIntentionByID(nil, args.ID)
	}
	return st.MeshIntentionByPair(nil, orNamespace(args.SourceNamespace, args.Namespace), args.SourceName,
		orNamespace(args.DestinationNamespace, args.Namespace), args.DestinationName)
}

// IntentionUpsert creates an intention, or replaces the one with the same
// source and destination (keeping its ID) unless CreateOnly. An intention
// with an ID updates that one. Empty namespaces are the request's.
func (m *Mesh) IntentionUpsert(args *structs.IntentionUpsertRequest, reply *structs.IntentionUpsertResponse) error {
	if done, err := m.srv.forward(structs.MeshIntentionUpsertRPC, false, args, reply); done {
		return err
	}
	if args.Intention == nil {
		return fmt.Errorf("invalid: an intention is required")
	}
	in := *args.Intention
	in.SourceNamespace = orNamespace(in.SourceNamespace, args.Namespace)
	in.DestinationNamespace = orNamespace(in.DestinationNamespace, args.Namespace)
	if err := intention.Validate(&in); err != nil {
		return fmt.Errorf("invalid: intention %s/%s => %s/%s: %w", in.SourceNamespace, in.SourceName,
			in.DestinationNamespace, in.DestinationName, err)
	}
	st := m.srv.State()
	if err := namespaceExists(st, in.DestinationNamespace); err != nil {
		return err
	}
	if in.ID == "" {
		in.ID = structs.GenerateID()
	} else if old, err := st.MeshIntentionByID(nil, in.ID); err != nil {
		return err
	} else if old == nil {
		return fmt.Errorf("intention %q: %w (leave the ID out to create one)", in.ID, structs.ErrNotFound)
	}
	in.Precedence = intention.Precedence(&in)
	entry := &structs.MeshIntentionEntry{Op: structs.MeshOpUpsert, Intention: &in, CreateOnly: args.CreateOnly}
	idx, err := m.srv.applyChecked(structs.MeshIntentionRequestType, entry,
		func(tx *state.WriteTxn) error { return tx.ApplyMeshIntention(entry) })
	if err != nil {
		return err
	}
	stored, err := m.srv.State().MeshIntentionByPair(nil, in.SourceNamespace, in.SourceName, in.DestinationNamespace, in.DestinationName)
	if err != nil {
		return err
	}
	reply.Intention, reply.Index = stored, idx
	return nil
}

// namespaceExists refuses a destination namespace nobody created; "*" is
// any namespace.
func namespaceExists(st *state.StateStore, ns string) error {
	if ns == structs.MeshWildcard {
		return nil
	}
	got, err := st.NamespaceByName(nil, ns)
	if err != nil {
		return err
	}
	if got == nil {
		return fmt.Errorf("invalid: namespace %q does not exist: create it first (appmesh namespace apply %s)", ns, ns)
	}
	return nil
}

// IntentionDelete removes one intention, by ID or by source and
// destination.
func (m *Mesh) IntentionDelete(args *structs.IntentionDeleteRequest, reply *structs.GenericResponse) error {
	if done, err := m.srv.forward(structs.MeshIntentionDeleteRPC, false, args, reply); done {
		return err
	}
	if args.ID == "" && (args.SourceName == "" || args.DestinationName == "") {
		return fmt.Errorf("invalid: name the intention to delete by ID, or by source and destination")
	}
	old, err := findIntention(m.srv.State(), args)
	if err != nil {
		return err
	}
	if old == nil {
		what := args.ID
		if what == "" {
			what = fmt.Sprintf("%s/%s => %s/%s", orNamespace(args.SourceNamespace, args.Namespace), args.SourceName,
				orNamespace(args.DestinationNamespace, args.Namespace), args.DestinationName)
		}
		return fmt.Errorf("intention %s: %w", what, structs.ErrNotFound)
	}
	entry := &structs.MeshIntentionEntry{Op: structs.MeshOpDelete, DeleteID: old.ID}
	idx, err := m.srv.applyChecked(structs.MeshIntentionRequestType, entry,
		func(tx *state.WriteTxn) error { return tx.ApplyMeshIntention(entry) })
	if err != nil {
		return err
	}
	reply.Index = idx
	return nil
}

// IntentionList is a blocking query on the intentions (and namespaces,
// whose default policy it reports). A namespace lists the intentions
// whose destination is in it or in any namespace; "*" lists those of
// every namespace the token may read.
func (m *Mesh) IntentionList(args *structs.IntentionListRequest, reply *structs.IntentionListResponse) error {
	if done, err := m.srv.forward(structs.MeshIntentionListRPC, args.AllowStale, args, reply); done {
		return err
	}
	inScope, err := m.srv.listFilter(&args.QueryOptions, acl.CapabilityReadJob)
	if err != nil {
		return err
	}
	aclOn := m.srv.ACLEnabled()
	return m.srv.blockingRPC(&args.QueryOptions, &reply.QueryMeta, func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
		defaults, err := meshDefaults(ws, st, aclOn, args.Namespace, inScope)
		if err != nil {
			return 0, err
		}
		all, err := st.MeshIntentions(ws)
		if err != nil {
			return 0, err
		}
		reply.Intentions = []*structs.Intention{}
		for _, in := range all {
			visible := inScope(in.DestinationNamespace) || (in.DestinationNamespace == structs.MeshWildcard && len(defaults) > 0)
			if visible && (args.ID == "" || in.ID == args.ID) {
				reply.Intentions = append(reply.Intentions, in)
			}
		}
		reply.DefaultAllow = defaults
		return maxTableIndex(st, state.TableMeshIntentions, state.TableNamespaces)
	})
}

// meshDefaults is the effective default policy of each namespace listed:
// the request's, or with "*" every namespace in scope.
func meshDefaults(ws memdb.WatchSet, st *state.StateStore, aclOn bool, reqNS string, inScope func(string) bool) (map[string]bool, error) {
	out := map[string]bool{}
	if reqNS != structs.AllNamespacesSentinel {
		ns, err := st.NamespaceByName(ws, namespaceOf(reqNS))
		if err != nil {
			return nil, err
		}
		out[namespaceOf(reqNS)] = structs.MeshDefaultAllows(ns, aclOn)
		return out, nil
	}
	all, err := st.Namespaces(ws)
	if err != nil {
		return nil, err
	}
	for _, ns := range all {
		if inScope(ns.Name) {
			out[ns.Name] = structs.MeshDefaultAllows(ns, aclOn)
		}
	}
	return out, nil
}

// IntentionCheck tells whether a source may connect to a destination, and
// why: the intention that decided, or the destination namespace's default.
func (m *Mesh) IntentionCheck(args *structs.IntentionCheckRequest, reply *structs.IntentionCheckResponse) error {
	if done, err := m.srv.forward(structs.MeshIntentionCheckRPC, args.AllowStale, args, reply); done {
		return err
	}
	src := intention.Service{Namespace: orNamespace(args.SourceNamespace, args.Namespace), Name: args.SourceName}
	dst := intention.Service{Namespace: orNamespace(args.DestinationNamespace, args.Namespace), Name: args.DestinationName}
	for _, s := range []intention.Service{src, dst} {
		if s.Name == "" || s.Name == structs.MeshWildcard || s.Namespace == structs.MeshWildcard {
			return fmt.Errorf("invalid: check %s => %s: name one service on each side, without wildcards", src, dst)
		}
	}
	aclOn := m.srv.ACLEnabled()
	return m.srv.blockingRPC(&args.QueryOptions, &reply.QueryMeta, func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
		ns, err := st.NamespaceByName(ws, dst.Namespace)
		if err != nil {
			return 0, err
		}
		all, err := st.MeshIntentions(ws)
		if err != nil {
			return 0, err
		}
		def := structs.MeshDefaultAllows(ns, aclOn)
		d := intention.Decide(all, src, dst, def)
		reply.Allowed, reply.Intention, reply.ByDefault, reply.DefaultAllow = d.Allow, d.Matched, d.Matched == nil, def
		reply.Reason = fmt.Sprintf("%s => %s %s", src, dst, d)
		if d.Matched == nil {
			reply.Reason += fmt.Sprintf(" of namespace %q (%s)", dst.Namespace, defaultOrigin(ns, aclOn))
		}
		return maxTableIndex(st, state.TableMeshIntentions, state.TableNamespaces)
	})
}

// defaultOrigin says where a namespace's default policy comes from.
func defaultOrigin(ns *structs.Namespace, aclOn bool) string {
	switch {
	case ns != nil && ns.MeshDefaultAction != "":
		return "its mesh_default_action"
	case aclOn:
		return "unset: deny because ACLs are enabled"
	default:
		return "unset: allow because ACLs are disabled"
	}
}

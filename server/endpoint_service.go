package server

import (
	"fmt"

	"github.com/appmesh/appmesh/acl"
	"github.com/appmesh/appmesh/server/state"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-memdb"
)

// ServiceRegistration is the RPC endpoint of the built-in service catalog
// (`service { provider = "appmesh" }`). Clients write their allocations'
// instances with Upsert; people and tasks read with List and GetService.
type ServiceRegistration struct{ srv *Server }

// Access rules (acl_rules.go takes them in through init, to keep the
// catalog in its own files): Upsert proves the node secret in the
// endpoint, the rest are namespace capabilities.
func init() {
	rpcRules[structs.ServiceUpsertRPC] = rpcRule{nodeSecret: true}
	rpcRules[structs.ServiceDeleteRPC] = nsRule(acl.CapabilitySubmitJob)
	rpcRules[structs.ServiceListRPC] = listRule(acl.CapabilityReadJob)
	rpcRules[structs.ServiceGetRPC] = nsRule(acl.CapabilityReadJob)
}

// Upsert writes a client's registrations and removals. Each registration
// must belong to an allocation placed on the calling node; the server,
// not the client, fills in its namespace, job and datacenter, so a node
// cannot register into a namespace it runs nothing of.
func (e *ServiceRegistration) Upsert(args *structs.ServiceUpsertRequest, reply *structs.GenericResponse) error {
	if done, err := e.srv.forward(structs.ServiceUpsertRPC, false, args, reply); done {
		return err
	}
	st := e.srv.State()
	node, err := checkNodeSecret(st, args.NodeID, args.SecretID)
	if err != nil {
		return err
	}
	if node == nil {
		return permissionDenied("node %s is not registered: only a registered node registers services", args.NodeID)
	}
	if len(args.Services) == 0 && len(args.Deletes) == 0 {
		return fmt.Errorf("invalid: no service registration or removal given")
	}
	entry := &structs.ServiceRegistrationEntry{}
	for _, r := range args.Services {
		c, err := ownRegistration(st, node, r)
		if err != nil {
			return err
		}
		if c == nil {
			continue
		}
		// Clients re-send their registrations periodically; what the state
		// already holds costs no Raft entry.
		old, err := st.ServiceRegistrationByID(nil, c.ID)
		if err != nil {
			return err
		}
		if old != nil && old.NodeID != node.ID {
			return permissionDenied("service registration %q is not node %s's", c.ID, node.ID)
		}
		if !old.Equal(c) {
			entry.Upserts = append(entry.Upserts, c)
		}
	}
	for _, id := range args.Deletes {
		old, err := st.ServiceRegistrationByID(nil, id)
		if err != nil {
			return err
		}
		if old == nil {
			continue
		}
		if old.NodeID != node.ID {
			return permissionDenied("service registration %q is not node %s's", id, node.ID)
		}
		entry.Deletes = append(entry.Deletes, id)
	}
	if len(entry.Upserts) == 0 && len(entry.Deletes) == 0 {
		return nil // every allocation named has ended: nothing to write
	}
	idx, err := e.srv.raftApply(structs.ServiceRegistrationRequestType, entry)
	if err != nil {
		return fmt.Errorf("service catalog of node %s: %w", node.ID, err)
	}
	reply.Index = idx
	return nil
}

// ownRegistration checks one of a node's registrations and returns the copy
// to store, or nil when its allocation is gone (the client raced its end).
func ownRegistration(st *state.StateStore, node *structs.Node, r *structs.ServiceRegistration) (*structs.ServiceRegistration, error) {
	if r == nil {
		return nil, fmt.Errorf("invalid: a service registration in the list is empty")
	}
	c := r.Copy()
	c.NodeID, c.Datacenter = node.ID, node.Datacenter
	alloc, err := st.AllocByID(nil, c.AllocID)
	if err != nil {
		return nil, err
	}
	if alloc == nil {
		return nil, nil
	}
	if alloc.NodeID != node.ID {
		return nil, permissionDenied("allocation %s is not on node %s", c.AllocID, node.ID)
	}
	c.Namespace, c.JobID, c.Group = alloc.Namespace, alloc.JobID, alloc.TaskGroup
	// Traffic splits select instances by job version: the allocation says
	// which one it runs.
	c.JobVersion = alloc.JobVersion
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("invalid: %w", err)
	}
	return c, nil
}

// Delete removes one instance of a service. A client whose allocation
// still runs registers it again when its status next changes; this is for
// instances left behind (e.g. a node that never came back).
func (e *ServiceRegistration) Delete(args *structs.ServiceDeleteRequest, reply *structs.GenericResponse) error {
	if done, err := e.srv.forward(structs.ServiceDeleteRPC, false, args, reply); done {
		return err
	}
	if args.ServiceName == "" || args.ID == "" {
		return fmt.Errorf("invalid: a service name and an instance ID are required")
	}
	old, err := e.srv.State().ServiceRegistrationByID(nil, args.ID)
	if err != nil {
		return err
	}
	ns := namespaceOf(args.Namespace)
	if old == nil || old.ServiceName != args.ServiceName || old.Namespace != ns {
		return fmt.Errorf("instance %q of service %q in namespace %q: %w", args.ID, args.ServiceName, ns, structs.ErrNotFound)
	}
	idx, err := e.srv.raftApply(structs.ServiceRegistrationRequestType, &structs.ServiceRegistrationEntry{Deletes: []string{args.ID}})
	if err != nil {
		return fmt.Errorf("delete instance %q of service %q: %w", args.ID, args.ServiceName, err)
	}
	reply.Index = idx
	return nil
}

// List summarises the services of a namespace, or with "*" of every
// namespace where the token may read jobs.
func (e *ServiceRegistration) List(args *structs.ServiceListRequest, reply *structs.ServiceListResponse) error {
	if done, err := e.srv.forward(structs.ServiceListRPC, args.AllowStale, args, reply); done {
		return err
	}
	inScope, err := e.srv.listFilter(&args.QueryOptions, acl.CapabilityReadJob)
	if err != nil {
		return err
	}
	return e.srv.blockingRPC(&args.QueryOptions, &reply.QueryMeta, func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
		all, err := st.ServiceRegistrations(ws, "")
		if err != nil {
			return 0, err
		}
		var mine []*structs.ServiceRegistration
		for _, r := range all {
			if inScope(r.Namespace) && (args.Prefix == "" || hasPrefix(r.ServiceName, args.Prefix)) {
				mine = append(mine, r)
			}
		}
		reply.Services = structs.SummarizeServices(mine)
		return st.Index(state.TableServices)
	})
}

// GetService returns the instances of one service: the passing ones, or
// all with All; only those with Tag when it is set.
func (e *ServiceRegistration) GetService(args *structs.ServiceGetRequest, reply *structs.ServiceGetResponse) error {
	if done, err := e.srv.forward(structs.ServiceGetRPC, args.AllowStale, args, reply); done {
		return err
	}
	if args.ServiceName == "" {
		return fmt.Errorf("invalid: a service name is required")
	}
	if args.Namespace == structs.AllNamespacesSentinel {
		return fmt.Errorf("invalid: the instances of service %q are read in one namespace: name it instead of %q", args.ServiceName, args.Namespace)
	}
	return e.srv.blockingRPC(&args.QueryOptions, &reply.QueryMeta, func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
		inst, err := st.ServiceByName(ws, args.Namespace, args.ServiceName)
		if err != nil {
			return 0, err
		}
		reply.Instances = make([]*structs.ServiceRegistration, 0, len(inst))
		for _, r := range inst {
			if (args.All || r.Status == structs.ServiceStatusPassing) && hasTag(r.Tags, args.Tag) {
				reply.Instances = append(reply.Instances, r)
			}
		}
		return st.Index(state.TableServices)
	})
}

func hasTag(tags []string, tag string) bool {
	if tag == "" {
		return true
	}
	for _, t := range tags {
		if t == tag {
			return true
		}
	}
	return false
}

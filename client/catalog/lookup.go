package catalog

import (
	"context"
	"fmt"
	"time"

	"github.com/appmesh/appmesh/client/consul"
	"github.com/appmesh/appmesh/structs"
)

// lookupWait bounds one blocking lookup; the caller asks again after it.
const lookupWait = 5 * time.Minute

// Lookup returns the instances of a service of a namespace from the
// servers' catalog: the passing ones, or all with all; only those with tag
// when it is set. With waitIndex > 0 it blocks until the answer's index
// passes waitIndex (or a few minutes pass) and returns the new index to
// wait on next. Templates and upstreams call it.
func (r *Registrar) Lookup(ctx context.Context, namespace, service, tag string, all bool, waitIndex uint64) ([]*structs.ServiceRegistration, uint64, error) {
	req := &structs.ServiceGetRequest{ServiceName: service, Tag: tag, All: all}
	req.Namespace, req.MinQueryIndex, req.MaxQueryTime = namespace, waitIndex, lookupWait
	var out structs.ServiceGetResponse
	if err := r.cfg.RPC(ctx, structs.ServiceGetRPC, req, &out); err != nil {
		return nil, 0, fmt.Errorf("look up service %q in the catalog: %w", service, err)
	}
	return out.Instances, out.Index, nil
}

// Discovery answers upstreams' lookups of one namespace from the catalog
// (it implements taskrunner.ServiceDiscovery).
type Discovery struct {
	r         *Registrar
	namespace string
}

// Discovery returns the catalog's discovery for a namespace.
func (r *Registrar) Discovery(namespace string) *Discovery {
	return &Discovery{r: r, namespace: namespace}
}

// Healthy returns the passing instances as the upstream hook wants them.
func (d *Discovery) Healthy(ctx context.Context, service, tag string, waitIndex uint64) ([]consul.Instance, uint64, error) {
	regs, idx, err := d.r.Lookup(ctx, d.namespace, service, tag, false, waitIndex)
	if err != nil {
		return nil, 0, err
	}
	out := make([]consul.Instance, len(regs))
	for i, reg := range regs {
		out[i] = consul.Instance{ID: reg.ID, Node: reg.NodeID, Address: reg.Address, Port: reg.Port,
			Tags: append([]string(nil), reg.Tags...)}
	}
	return out, idx, nil
}

package catalog

import (
	"context"
	"time"

	"github.com/appmesh/appmesh/client/consul"
	"github.com/appmesh/appmesh/client/taskrunner"
	"github.com/appmesh/appmesh/structs"
)

// ConsulServices is the Consul side of the integration
// (client/consul.ServiceClient), as the task runners see it.
type ConsulServices interface {
	RegisterWorkload(w *consul.Workload) error
	RemoveWorkload(allocID, group, task string)
}

// The router is what the task runners are given.
var (
	_ taskrunner.ServiceRegistrar = (*Router)(nil)
	_ taskrunner.ServiceDiscovery = (*Router)(nil)
	_ taskrunner.DiscoveryPicker  = (*Router)(nil)
	_ taskrunner.ServiceFilter    = (*Router)(nil)
	_ taskrunner.ServiceLookup    = (*Router)(nil)
)

// Router sends each service to its provider: provider = "appmesh" (or
// "nomad") to the built-in catalog, the rest to Consul when the agent has
// the Consul integration on (without it they are not registered, as
// before providers existed). It implements the task runners'
// ServiceRegistrar and ServiceDiscovery.
type Router struct {
	consul ConsulServices // nil: no Consul
	native *Registrar
}

// NewRouter returns a router; consul may be nil.
func NewRouter(c ConsulServices, native *Registrar) *Router {
	return &Router{consul: c, native: native}
}

// Native is the built-in catalog's registrar: its Lookup is the client-side
// lookup function for templates.
func (r *Router) Native() *Registrar { return r.native }

// Registers tells whether any of the services goes anywhere: a native one,
// or any when Consul is on. The runners skip their services hooks (and a
// task's shutdown_delay with them) otherwise, as before providers existed.
func (r *Router) Registers(services []*structs.Service) bool {
	if r.consul != nil && len(services) > 0 {
		return true
	}
	for _, s := range services {
		if s.IsNative() {
			return true
		}
	}
	return false
}

// LookupServices reads the built-in catalog (see Registrar.Lookup).
func (r *Router) LookupServices(ctx context.Context, namespace, service, tag string, all bool, waitIndex uint64) ([]*structs.ServiceRegistration, uint64, error) {
	return r.native.Lookup(ctx, namespace, service, tag, all, waitIndex)
}

// RegisterWorkload registers the workload's services with their providers.
func (r *Router) RegisterWorkload(w *consul.Workload) error {
	var viaConsul []*structs.Service
	for _, s := range w.Services {
		if !s.IsNative() {
			viaConsul = append(viaConsul, s)
		}
	}
	err := r.native.RegisterWorkload(w)
	if r.consul != nil && len(viaConsul) > 0 {
		cw := *w
		cw.Services = viaConsul
		if cerr := r.consul.RegisterWorkload(&cw); cerr != nil && err == nil {
			err = cerr
		}
	}
	return err
}

// RemoveWorkload removes the workload's services from both providers.
func (r *Router) RemoveWorkload(allocID, group, task string) {
	r.native.RemoveWorkload(allocID, group, task)
	if r.consul != nil {
		r.consul.RemoveWorkload(allocID, group, task)
	}
}

// Healthy looks a service up in the default namespace (see Discovery).
func (r *Router) Healthy(ctx context.Context, service, tag string, waitIndex uint64) ([]consul.Instance, uint64, error) {
	return r.Discovery(ctx, structs.DefaultNamespace, service).Healthy(ctx, service, tag, waitIndex)
}

// pickTimeout bounds the catalog probe that picks an upstream's provider.
const pickTimeout = 5 * time.Second

// Discovery picks where an upstream's service is looked up, once, when
// its task starts: the built-in catalog without Consul; with Consul, the
// catalog when it has the service (any instance, passing or not) in the
// task's namespace, else Consul.
func (r *Router) Discovery(ctx context.Context, namespace, service string) taskrunner.ServiceDiscovery {
	native := r.native.Discovery(namespace)
	if r.consul == nil {
		return native
	}
	cd, ok := r.consul.(taskrunner.ServiceDiscovery)
	if !ok {
		return native
	}
	pctx, cancel := context.WithTimeout(ctx, pickTimeout)
	defer cancel()
	regs, _, err := r.native.Lookup(pctx, namespace, service, "", true, 0)
	if err == nil && len(regs) > 0 {
		return native
	}
	return cd
}

// TemplateCatalog is the built-in catalog of namespace as templates'
// nomadService reads it, or nil on a router without one.
func (r *Router) TemplateCatalog(namespace string) taskrunner.ServiceDiscovery {
	if r.native == nil {
		return nil
	}
	return r.native.Discovery(namespace)
}

// TemplateConsul is the Consul client that templates' key, keyOrDefault and
// service functions read, or nil without the Consul integration.
func (r *Router) TemplateConsul() taskrunner.TemplateConsul {
	if c, ok := r.consul.(taskrunner.TemplateConsul); ok {
		return c
	}
	return nil
}

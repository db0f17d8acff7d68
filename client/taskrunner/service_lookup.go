package taskrunner

import (
	"context"

	"github.com/appmesh/appmesh/structs"
)

// ServiceLookup reads the servers' built-in service catalog
// (client/catalog.Router implements it; the runners' Services registrar
// can be asserted to it). It returns the instances of a service of a
// namespace, passing ones only unless all, only those with tag when set;
// with waitIndex > 0 it blocks until the answer changes and returns the
// index to wait on next. Templates' service lookups are meant to use it.
type ServiceLookup interface {
	LookupServices(ctx context.Context, namespace, service, tag string, all bool, waitIndex uint64) ([]*structs.ServiceRegistration, uint64, error)
}

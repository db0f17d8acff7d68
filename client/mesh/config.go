// Package mesh is the client agent's side of the service mesh. The config
// part (config*.go) assembles, for one sidecar proxy (an allocation and one
// of its connect services), the structs.MeshProxyConfig the proxy
// long-polls at structs.MeshProxyConfigPath: its identity, listeners,
// leaf certificate and roots, the intentions that protect it, and the
// healthy instances and traffic splits of its upstreams.
package mesh

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-hclog"
)

// LeafSource gives the current leaf certificate of a service and the
// trusted roots (the CA part's LeafManager, adapted). It does not block:
// the builder asks again every LeafPollInterval and compares index and
// certificate. keyPEM is secret: never log it.
type LeafSource interface {
	Leaf(ctx context.Context, namespace, service string) (certPEM, keyPEM string, rootsPEM []string, index uint64, err error)
}

// PolicySource reads intentions and traffic splits from the servers.
// Both are blocking queries: with minIndex > 0 they return once the
// answer's index passes minIndex (or after the servers' wait), with the
// index to wait on next.
type PolicySource interface {
	// Intentions returns the intentions that may apply to destinations in
	// namespace (exact or wildcard), and whether that namespace allows
	// connections when none matches.
	Intentions(ctx context.Context, namespace string, minIndex uint64) (intentions []*structs.Intention, defaultAllow bool, index uint64, err error)
	// Splits returns every traffic split the node may read.
	Splits(ctx context.Context, minIndex uint64) (splits []*structs.MeshSplit, index uint64, err error)
}

// CatalogSource reads the built-in catalog (client/catalog.Router and
// Registrar have this method): the passing instances of a service, or all;
// blocking with waitIndex > 0.
type CatalogSource interface {
	LookupServices(ctx context.Context, namespace, service, tag string, all bool, waitIndex uint64) ([]*structs.ServiceRegistration, uint64, error)
}

// AllocSource finds an allocation running on this node and its task
// group (at the job version it runs).
type AllocSource interface {
	MeshAllocGroup(allocID string) (*structs.Allocation, *structs.TaskGroup, bool)
}

// BuilderOptions is what a ConfigBuilder needs.
type BuilderOptions struct {
	Leaves  LeafSource
	Policy  PolicySource
	Catalog CatalogSource
	Allocs  AllocSource
	// NodeAddr is the address other nodes reach this node at (the
	// catalog's address of its instances); the proxies listen on it.
	NodeAddr string
	// Region names the trust domain (structs.MeshTrustDomain); TrustDomain,
	// when set, wins.
	Region      string
	TrustDomain string
	Logger      hclog.Logger
	// LeafPollInterval is how often the leaf and roots are compared
	// (0: 5s). IdleTimeout ends a proxy's watch nobody asked for (0: 10m).
	LeafPollInterval time.Duration
	IdleTimeout      time.Duration
	// Consul, when set, is the mesh of services whose provider is Consul
	// (not "appmesh"/"nomad"): their proxies get Consul's leaf, roots,
	// intentions and instances (consul.go). nil: appmesh's for all.
	Consul *ConsulMesh
}

// MaxConfigWait bounds one blocking request, as the servers bound theirs.
const MaxConfigWait = 5 * time.Minute

// DefaultConfigWait is the wait of a request without one.
const DefaultConfigWait = 5 * time.Minute

// ErrNotConnect is returned for an allocation or service that has no
// sidecar proxy on this node (HTTP 404).
var ErrNotConnect = errors.New("no sidecar proxy")

// ConfigBuilder keeps, per proxy, the inputs of its config current and
// answers blocking requests. It owns one watch (and its goroutines) per
// proxy asked for; Shutdown stops them all.
type ConfigBuilder struct {
	opts   BuilderOptions
	logger hclog.Logger
	td     string
	// counter makes indexes grow across watches, so that a watch made
	// again (after idling out) never answers an index a proxy has seen.
	counter atomic.Uint64

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	watches map[string]*proxyWatch // by alloc ID + "/" + service
}

// NewConfigBuilder returns a builder; Shutdown stops it.
func NewConfigBuilder(opts BuilderOptions) (*ConfigBuilder, error) {
	if opts.Leaves == nil || opts.Policy == nil || opts.Catalog == nil || opts.Allocs == nil {
		return nil, errors.New("mesh config builder: leaves, policy, catalog and allocs are required")
	}
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	if opts.LeafPollInterval <= 0 {
		opts.LeafPollInterval = 5 * time.Second
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = 10 * time.Minute
	}
	td := opts.TrustDomain
	if td == "" {
		td = structs.MeshTrustDomain(opts.Region)
	}
	ctx, cancel := context.WithCancel(context.Background())
	b := &ConfigBuilder{opts: opts, logger: opts.Logger.Named("mesh_config"), td: td,
		ctx: ctx, cancel: cancel, watches: map[string]*proxyWatch{}}
	b.wg.Add(1)
	go b.reapLoop()
	return b, nil
}

// Shutdown stops every watch and waits for their goroutines.
func (b *ConfigBuilder) Shutdown() {
	b.cancel()
	b.wg.Wait()
}

// Get returns the proxy config of one connect service of a local
// allocation once its index passes minIndex, or the current one after
// wait (bounded by MaxConfigWait). The first answer waits until every
// input has been read once.
func (b *ConfigBuilder) Get(ctx context.Context, allocID, service string, minIndex uint64, wait time.Duration) (*structs.MeshProxyConfig, error) {
	if wait <= 0 || wait > MaxConfigWait {
		wait = DefaultConfigWait
	}
	w, err := b.watchFor(allocID, service)
	if err != nil {
		return nil, err
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		cfg, changed, waitErr := w.current(minIndex)
		if cfg != nil {
			return cfg, nil
		}
		select {
		case <-changed:
		case <-timer.C:
			if cfg, _, _ := w.current(0); cfg != nil {
				return cfg, nil
			}
			if waitErr != nil {
				return nil, fmt.Errorf("proxy config of %q in allocation %s is not ready: %w", service, allocID, waitErr)
			}
			return nil, fmt.Errorf("proxy config of %q in allocation %s is not ready yet", service, allocID)
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-w.ctx.Done():
			// Replaced (the allocation moved to another job version) or
			// reaped (it left the node): ask for the current watch.
			if w, err = b.watchFor(allocID, service); err != nil {
				return nil, err
			}
		}
	}
}

// watchFor returns the proxy's watch, starting it on first use.
func (b *ConfigBuilder) watchFor(allocID, service string) (*proxyWatch, error) {
	key := allocID + "/" + service
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ctx.Err() != nil {
		return nil, errors.New("mesh config builder is shut down")
	}
	alloc, group, ok := b.opts.Allocs.MeshAllocGroup(allocID)
	old := b.watches[key]
	if !ok {
		if old != nil {
			old.stop()
			delete(b.watches, key)
		}
		return nil, fmt.Errorf("allocation %q is not running on this node: %w", allocID, ErrNotConnect)
	}
	if old != nil && old.ctx.Err() == nil && old.alloc.JobVersion == alloc.JobVersion {
		old.touch()
		return old, nil
	}
	if old != nil {
		old.stop() // an in-place update to another job version: start over
	}
	svc := proxyConnectService(group, service)
	if svc == nil {
		return nil, fmt.Errorf("service %q of allocation %s has no connect.sidecar_service or connect.gateway.ingress: %w", service, allocID, ErrNotConnect)
	}
	w := newProxyWatch(b, alloc, group, svc)
	if w.baseErr != nil {
		w.stop()
		return nil, fmt.Errorf("%w: %w", ErrNotConnect, w.baseErr)
	}
	b.watches[key] = w
	w.start()
	return w, nil
}

func proxyConnectService(g *structs.TaskGroup, name string) *structs.Service {
	if g == nil {
		return nil
	}
	for _, s := range g.Services {
		if s != nil && s.Name == name && (s.HasSidecar() || s.IsIngressGateway()) {
			return s
		}
	}
	return nil
}

// reapLoop stops watches nobody asked for in IdleTimeout, and those
// whose allocation left the node or moved to another job version.
func (b *ConfigBuilder) reapLoop() {
	defer b.wg.Done()
	tick := time.NewTicker(min(b.opts.IdleTimeout/2, time.Minute))
	defer tick.Stop()
	for {
		select {
		case <-b.ctx.Done():
			return
		case <-tick.C:
			b.reap(time.Now())
		}
	}
}

func (b *ConfigBuilder) reap(now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for key, w := range b.watches {
		a, _, alive := b.opts.Allocs.MeshAllocGroup(w.alloc.ID)
		moved := alive && a.JobVersion != w.alloc.JobVersion // its waiters ask for a new watch
		if !alive || moved || w.idleSince(now) > b.opts.IdleTimeout || w.ctx.Err() != nil {
			w.stop()
			delete(b.watches, key)
		}
	}
}

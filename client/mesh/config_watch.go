package mesh

import (
	"context"
	"fmt"
	"net"
	"reflect"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/appmesh/appmesh/internal/ctxsleep"
	"github.com/appmesh/appmesh/mesh/ca"
	"github.com/appmesh/appmesh/structs"
)

// defaultConnectTimeout bounds a proxy's dial of an upstream instance.
const defaultConnectTimeout = structs.Duration(5 * time.Second)

// watch keeps one proxy's inputs current: a goroutine per input (leaf,
// intentions, splits, each upstream's instances), each writing its part
// under mu. Any change makes a new config with a new index and wakes the
// waiters.
type proxyWatch struct {
	b      *ConfigBuilder
	alloc  *structs.Allocation
	svc    *structs.Service
	logger hclog.Logger
	ctx    context.Context
	cancel context.CancelFunc
	// base holds the parts that never change for the watch.
	base structs.MeshProxyConfig
	// baseErr: the allocation lacks the proxy's port; every answer fails.
	baseErr error
	// The inputs' sources: the builder's, or Consul's for a service whose
	// provider is Consul when the builder has Consul (consul is then set).
	leaves  LeafSource
	policy  PolicySource
	instSrc InstanceSource
	consul  bool

	mu       sync.Mutex
	lastUsed time.Time
	cfg      *structs.MeshProxyConfig // nil until every input was read once
	changed  chan struct{}            // closed and replaced on each new cfg
	errs     map[string]error         // by input, until it is read again

	leaf          *proxyLeaf
	intentions    []*structs.Intention
	defaultAllow  bool
	haveIntents   bool
	splits        map[string]*structs.MeshSplit // by namespace/name of the upstreams
	haveSplits    bool
	instances     map[int][]*structs.MeshInstance // by upstream index
	haveInstances map[int]bool
}

type proxyLeaf struct {
	cert, key string
	roots     []string
	index     uint64
	// id and td: the leaf's identity, which names the proxy when its CA
	// is Consul's (whose trust domain is known only from its roots).
	id, td string
}

func newProxyWatch(b *ConfigBuilder, alloc *structs.Allocation, group *structs.TaskGroup, svc *structs.Service) *proxyWatch {
	ctx, cancel := context.WithCancel(b.ctx)
	w := &proxyWatch{b: b, alloc: alloc, svc: svc, ctx: ctx, cancel: cancel, lastUsed: time.Now(),
		logger:  b.logger.With("alloc_id", alloc.ID, "service", svc.Name),
		changed: make(chan struct{}), errs: map[string]error{}, instances: map[int][]*structs.MeshInstance{}, haveInstances: map[int]bool{}}
	w.leaves, w.policy, w.instSrc = b.opts.Leaves, b.opts.Policy, catalogInstances{c: b.opts.Catalog, td: b.td}
	if b.opts.Consul != nil && !svc.IsNative() {
		w.consul = true
		w.leaves, w.policy, w.instSrc = b.opts.Consul, b.opts.Consul.Policy(svc.Name), b.opts.Consul
	}
	w.base, w.baseErr = proxyBaseConfig(b, alloc, group.Network.IsBridge(), svc, w.consul)
	return w
}

// assumedIdentity names a proxy (sidecar or gateway) in the trust domain
// the builder assumes. It is provisional: the leaf is not known yet when a
// base config is made, and build() replaces the identity (and its
// upstreams' expected identities) with the leaf's trust domain, which is
// the CA's and wins when they differ.
func (b *ConfigBuilder) assumedIdentity(ns, service string) structs.MeshProxyConfig {
	return structs.MeshProxyConfig{Namespace: ns, Service: service, TrustDomain: b.td,
		SPIFFEID: structs.MeshSPIFFEID(b.td, ns, service)}
}

// proxyBaseConfig fills in the proxy's identity, listeners and upstreams. On
// the node's network the proxy listens on the node's address and the
// service is on loopback at its host port; in bridge mode both are inside
// the allocation's namespace, at the ports the host's are mapped to (the
// node forwards its host port there).
func proxyBaseConfig(b *ConfigBuilder, alloc *structs.Allocation, bridge bool, svc *structs.Service, viaConsul bool) (structs.MeshProxyConfig, error) {
	ns := alloc.Namespace
	if ns == "" || viaConsul {
		// Consul's open-source edition has one namespace: identities and
		// intentions of a Consul mesh are in "default".
		ns = structs.DefaultNamespace
	}
	if svc.IsIngressGateway() {
		return gatewayBaseConfig(b, bridge, svc, ns, viaConsul), nil
	}
	proxy := svc.Connect.ProxyOf()
	c := b.assumedIdentity(ns, svc.Name)
	c.Protocol = proxy.Protocol()
	inbound, ok := proxyAllocPort(alloc, svc.ProxyPortLabel(), bridge)
	if !ok {
		return c, fmt.Errorf("allocation %s holds no port %q for the proxy", alloc.ID, svc.ProxyPortLabel())
	}
	listenHost := b.opts.NodeAddr
	if bridge {
		listenHost = "0.0.0.0"
	}
	c.InboundAddr = net.JoinHostPort(listenHost, strconv.Itoa(inbound))
	host, port := structs.DefaultUpstreamBindAddr, 0
	if proxy != nil && proxy.LocalServiceAddress != "" {
		host = proxy.LocalServiceAddress
	}
	if proxy != nil && proxy.LocalServicePort > 0 {
		port = proxy.LocalServicePort
	} else if p, ok := proxyAllocPort(alloc, svc.Port, bridge); ok {
		port = p
	} else if n, err := strconv.Atoi(svc.Port); err == nil {
		port = n
	} else {
		return c, fmt.Errorf("allocation %s holds no port %q for service %q", alloc.ID, svc.Port, svc.Name)
	}
	c.LocalServiceAddr = net.JoinHostPort(host, strconv.Itoa(port))
	if proxy != nil {
		for _, u := range proxy.Upstreams {
			dns := u.Namespace(ns)
			if viaConsul {
				dns = ns
			}
			c.Upstreams = append(c.Upstreams, &structs.MeshUpstreamConfig{
				DestinationNamespace: dns, DestinationName: u.DestinationName,
				LocalBindAddr: u.BindAddr(), Protocol: c.Protocol, ConnectTimeout: defaultConnectTimeout,
			})
		}
	}
	return c, nil
}

// proxyAllocPort is a port of the allocation as its tasks see it: the host
// port, or in bridge mode the port it is mapped to (the same number
// without a "to").
func proxyAllocPort(alloc *structs.Allocation, label string, bridge bool) (int, bool) {
	for _, p := range alloc.AllocatedPorts {
		if p.Label == label {
			if bridge && p.To > 0 {
				return p.To, true
			}
			return p.Value, true
		}
	}
	return 0, false
}

// start runs the input goroutines, owned by the builder's WaitGroup and
// ended by the watch's context.
func (w *proxyWatch) start() {
	if w.baseErr != nil {
		return
	}
	loops := []func(){w.leafLoop, w.intentionsLoop, w.splitsLoop}
	for i := range w.base.Upstreams {
		loops = append(loops, func() { w.instancesLoop(i) })
	}
	for _, loop := range loops {
		w.b.wg.Add(1)
		go func() {
			defer w.b.wg.Done()
			loop()
		}()
	}
}

func (w *proxyWatch) stop() { w.cancel() }

func (w *proxyWatch) touch() {
	w.mu.Lock()
	w.lastUsed = time.Now()
	w.mu.Unlock()
}

func (w *proxyWatch) idleSince(now time.Time) time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return now.Sub(w.lastUsed)
}

// current returns the config when its index passes minIndex; otherwise
// the channel that closes on the next change, and the last input error.
func (w *proxyWatch) current(minIndex uint64) (*structs.MeshProxyConfig, <-chan struct{}, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.lastUsed = time.Now()
	if w.baseErr != nil {
		return nil, w.changed, w.baseErr
	}
	if w.cfg != nil && w.cfg.Index > minIndex {
		return w.cfg, nil, nil
	}
	for what, err := range w.errs {
		return nil, w.changed, fmt.Errorf("%s: %w", what, err)
	}
	return nil, w.changed, nil
}

// update applies one input's change under the lock; set reports whether
// anything changed. A change makes a new config once every input is in.
func (w *proxyWatch) update(what string, set func() bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.errs, what)
	if !set() {
		return
	}
	if w.leaf == nil || !w.haveIntents || !w.haveSplits || len(w.haveInstances) < len(w.base.Upstreams) {
		return
	}
	w.cfg = w.build()
	close(w.changed)
	w.changed = make(chan struct{})
}

// build makes a new config from the inputs (under mu). Its slices are new
// or never changed later, so a config handed out stays as it was.
func (w *proxyWatch) build() *structs.MeshProxyConfig {
	c := w.base
	c.Index = w.b.counter.Add(1)
	c.LeafCertPEM, c.LeafKeyPEM, c.RootsPEM = w.leaf.cert, w.leaf.key, w.leaf.roots
	retarget := ""
	if w.leaf.td != "" && w.leaf.td != c.TrustDomain {
		c.SPIFFEID, c.TrustDomain = w.leaf.id, w.leaf.td
		retarget = w.leaf.td
	}
	c.Intentions, c.DefaultAllow = w.intentions, w.defaultAllow
	c.Upstreams = make([]*structs.MeshUpstreamConfig, len(w.base.Upstreams))
	for i, u := range w.base.Upstreams {
		cu := *u
		cu.Instances = w.instances[i]
		if retarget != "" && !w.consul {
			cu.Instances = inTrustDomain(cu.Instances, retarget, u.DestinationNamespace, u.DestinationName)
		}
		if cu.Instances == nil {
			cu.Instances = []*structs.MeshInstance{}
		}
		cu.Split = w.splits[u.DestinationNamespace+"/"+u.DestinationName]
		c.Upstreams[i] = &cu
	}
	if c.Intentions == nil {
		c.Intentions = []*structs.Intention{}
	}
	return &c
}

// inTrustDomain copies instances with the destination's identity in td:
// the catalog's instances are named in the domain the builder assumed,
// the peers' leaves in the CA's.
func inTrustDomain(in []*structs.MeshInstance, td, ns, service string) []*structs.MeshInstance {
	if in == nil {
		return nil
	}
	id := structs.MeshSPIFFEID(td, ns, service)
	out := make([]*structs.MeshInstance, len(in))
	for i, inst := range in {
		c := *inst
		c.SPIFFEID = id
		out[i] = &c
	}
	return out
}

// failed records an input's error for the waiters; the key is never in it.
func (w *proxyWatch) failed(what string, err error) {
	w.mu.Lock()
	first := w.errs[what] == nil
	w.errs[what] = err
	w.mu.Unlock()
	if first {
		w.logger.Warn("cannot read an input of the sidecar proxy's config; retrying", "input", what, "error", err)
	}
}

// leafLoop compares the leaf and roots every LeafPollInterval.
func (w *proxyWatch) leafLoop() {
	notify, _ := w.leaves.(leafChanges)
	for {
		var changed <-chan struct{}
		if notify != nil {
			changed = notify.Changed() // before reading, to miss nothing
		}
		cert, key, roots, idx, err := w.leaves.Leaf(w.ctx, w.base.Namespace, w.base.Service)
		var id, td string
		if err == nil {
			// The leaf names the identity and trust domain the CA gives
			// (the servers' mesh_trust_domain, or Consul's); a leaf that
			// cannot be read keeps the assumed ones, except from Consul.
			var lerr error
			if id, td, lerr = leafIdentity(cert); lerr != nil {
				id, td = "", ""
				if w.consul {
					err = lerr
				}
			}
		}
		if err != nil && w.ctx.Err() == nil {
			w.failed("leaf certificate", err)
		} else if err == nil {
			next := &proxyLeaf{cert: cert, key: key, roots: append([]string(nil), roots...), index: idx, id: id, td: td}
			w.update("leaf certificate", func() bool {
				if w.leaf != nil && reflect.DeepEqual(w.leaf, next) {
					return false
				}
				w.leaf = next
				return true
			})
		}
		if !ctxsleep.SleepOrWake(w.ctx, w.b.opts.LeafPollInterval, changed) {
			return
		}
	}
}

// intentionsLoop follows the intentions that may name this service as
// destination.
func (w *proxyWatch) intentionsLoop() {
	w.follow("intentions", func(idx uint64) (uint64, error) {
		all, def, next, err := w.policy.Intentions(w.ctx, w.base.Namespace, idx)
		if err != nil {
			return 0, err
		}
		mine := proxyIntentions(all, w.base.Namespace, w.base.Service)
		w.update("intentions", func() bool {
			if w.haveIntents && w.defaultAllow == def && reflect.DeepEqual(w.intentions, mine) {
				return false
			}
			w.intentions, w.defaultAllow, w.haveIntents = mine, def, true
			return true
		})
		return next, nil
	})
}

// proxyIntentions keeps those whose destination is the service (or a
// wildcard), most precise first, then by ID.
func proxyIntentions(all []*structs.Intention, ns, svc string) []*structs.Intention {
	out := []*structs.Intention{}
	for _, in := range all {
		if in == nil {
			continue
		}
		nsOK := in.DestinationNamespace == ns || in.DestinationNamespace == structs.MeshWildcard
		nameOK := in.DestinationName == svc || in.DestinationName == structs.MeshWildcard
		if nsOK && nameOK {
			out = append(out, in)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Precedence != out[j].Precedence {
			return out[i].Precedence > out[j].Precedence
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// splitsLoop follows the splits of the upstreams' destinations.
func (w *proxyWatch) splitsLoop() {
	wanted := map[string]bool{}
	for _, u := range w.base.Upstreams {
		wanted[u.DestinationNamespace+"/"+u.DestinationName] = true
	}
	w.follow("traffic splits", func(idx uint64) (uint64, error) {
		all, next, err := w.policy.Splits(w.ctx, idx)
		if err != nil {
			return 0, err
		}
		mine := map[string]*structs.MeshSplit{}
		for _, s := range all {
			if s != nil && wanted[s.Namespace+"/"+s.Service] {
				mine[s.Namespace+"/"+s.Service] = s
			}
		}
		w.update("traffic splits", func() bool {
			if w.haveSplits && reflect.DeepEqual(w.splits, mine) {
				return false
			}
			w.splits, w.haveSplits = mine, true
			return true
		})
		return next, nil
	})
}

// instancesLoop follows the passing proxies of one upstream's destination.
func (w *proxyWatch) instancesLoop(i int) {
	u := w.base.Upstreams[i]
	what := "instances of " + u.DestinationName
	w.follow(what, func(idx uint64) (uint64, error) {
		list, next, err := w.instSrc.MeshInstances(w.ctx, u.DestinationNamespace, u.DestinationName, idx)
		if err != nil {
			return 0, err
		}
		sort.Slice(list, func(a, b int) bool {
			if list[a].Address != list[b].Address {
				return list[a].Address < list[b].Address
			}
			return list[a].Port < list[b].Port
		})
		w.update(what, func() bool {
			if w.haveInstances[i] && reflect.DeepEqual(w.instances[i], list) {
				return false
			}
			w.instances[i], w.haveInstances[i] = list, true
			return true
		})
		return next, nil
	})
}

// catalogInstances reads the instances of a destination from the
// built-in catalog: its passing "<name>-sidecar-proxy" entries, all
// with the destination's identity in the cluster's trust domain.
type catalogInstances struct {
	c  CatalogSource
	td string
}

func (ci catalogInstances) MeshInstances(ctx context.Context, ns, service string, idx uint64) ([]*structs.MeshInstance, uint64, error) {
	regs, next, err := ci.c.LookupServices(ctx, ns, structs.ConnectSidecarName(service), "", false, idx)
	if err != nil {
		return nil, 0, err
	}
	id := structs.MeshSPIFFEID(ci.td, ns, service)
	list := make([]*structs.MeshInstance, 0, len(regs))
	for _, r := range regs {
		if r == nil || r.Status != structs.ServiceStatusPassing {
			continue
		}
		list = append(list, &structs.MeshInstance{Address: r.Address, Port: r.Port,
			Tags: append([]string(nil), r.Tags...), JobVersion: r.JobVersion, SPIFFEID: id, AllocID: r.AllocID})
	}
	return list, next, nil
}

// leafIdentity reads a leaf's SPIFFE ID and its trust domain.
func leafIdentity(certPEM string) (id, td string, err error) {
	cert, err := ca.ParseCertPEM(certPEM)
	if err != nil {
		return "", "", fmt.Errorf("leaf certificate: %w", err)
	}
	if id, err = ca.LeafSPIFFEID(cert); err != nil {
		return "", "", fmt.Errorf("leaf certificate: %w", err)
	}
	td, _, _, err = structs.ParseMeshSPIFFEID(id)
	return id, td, err
}

// follow runs a blocking query again and again with the index it
// returned, backing off after errors, until the watch ends.
func (w *proxyWatch) follow(what string, query func(minIndex uint64) (uint64, error)) {
	var idx uint64
	backoff := time.Second
	for w.ctx.Err() == nil {
		next, err := query(idx)
		switch {
		case w.ctx.Err() != nil:
			return
		case err != nil:
			w.failed(what, err)
			if !ctxsleep.Sleep(w.ctx, backoff) {
				return
			}
			backoff = min(2*backoff, 30*time.Second)
			continue
		}
		backoff = time.Second
		if next == idx && !ctxsleep.Sleep(w.ctx, 100*time.Millisecond) {
			// Unchanged: the servers' wait ran out. The pause keeps a
			// source that does not block from spinning.
			return
		}
		if next < idx {
			next = 0 // the servers' state was reset: read it all again
		}
		idx = next
	}
}

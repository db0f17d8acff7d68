// Package proxy is the data plane of appmesh's service mesh: the sidecar
// that `appmesh connect proxy` runs next to a task. It is driven only by a
// structs.MeshProxyConfig (what the client agent resolves from the
// cluster) and holds no cluster logic: an inbound mTLS listener that
// checks the caller's identity against intentions and forwards to the
// task, and one plain listener per upstream that picks an instance (by
// split, route and circuit breaker) and dials it over mTLS. L4 for any
// TCP, L7 when the protocol is "http".
package proxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/appmesh/appmesh/mesh/intention"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"
)

// ProtocolHTTP selects the L7 proxy; anything else is L4.
const ProtocolHTTP = "http"

// Default timeouts. A handshake that takes longer is a stuck or hostile
// peer; a dial that takes longer is better retried on another instance.
const (
	handshakeTimeout      = 10 * time.Second
	defaultConnectTimeout = 5 * time.Second
	defaultDrainTimeout   = 5 * time.Second
)

// Proxy is one sidecar. Create it with New, give it a config with Update
// (as often as the config changes), and stop it with Close or by
// cancelling the context given to Run.
type Proxy struct {
	logger hclog.Logger
	m      *metrics

	// cfg and certs are read per connection and per handshake, so an
	// Update applies to what comes next without touching what is open.
	cfg   atomic.Pointer[structs.MeshProxyConfig]
	certs atomic.Pointer[certs]

	// ctx is cancelled by Close; every goroutine of the proxy is counted
	// in wg and stops when it is.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu        sync.Mutex // guards the listeners below and closed
	closed    bool
	inbound   *inbound
	upstreams map[string]*upstream // by upstreamKey

	// open counts the downstream connections open now, L4 and L7, both
	// directions (see OpenConns).
	open atomic.Int64

	// DrainTimeout bounds how long Run waits for open connections to end
	// after its context is cancelled.
	DrainTimeout time.Duration
}

// New returns a proxy with no listener yet. Its metrics are registered on
// reg when it is not nil (a duplicate registration is logged, not fatal:
// the proxy works without metrics).
func New(logger hclog.Logger, reg prometheus.Registerer) *Proxy {
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	m, err := newMetrics(reg)
	if err != nil {
		logger.Error("proxy metrics are not registered", "error", err)
		m, _ = newMetrics(nil)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Proxy{
		logger:       logger,
		m:            m,
		ctx:          ctx,
		cancel:       cancel,
		upstreams:    map[string]*upstream{},
		DrainTimeout: defaultDrainTimeout,
	}
}

// OpenConns is how many connections the proxy holds open now: L4
// connections it splices and L7 connections its HTTP servers serve,
// inbound and outbound. The command sizes the Go runtime on it.
func (p *Proxy) OpenConns() int { return int(p.open.Load()) }

// opened and closed move OpenConns and the connections_active gauge
// together.
func (p *Proxy) opened(g prometheus.Gauge) { p.open.Add(1); g.Inc() }
func (p *Proxy) closedConn(g prometheus.Gauge) {
	p.open.Add(-1)
	g.Dec()
}

// Config returns the config in force (nil before the first Update).
func (p *Proxy) Config() *structs.MeshProxyConfig { return p.cfg.Load() }

// Update applies a config. Certificates, roots, intentions, instances and
// splits change in place; listeners are opened and closed by the
// difference with the previous config. On an error in the certificates
// nothing changes; on an error opening a listener the rest still applies
// and the error is returned.
func (p *Proxy) Update(cfg *structs.MeshProxyConfig) error {
	if cfg == nil {
		return errors.New("nil proxy config")
	}
	c, err := parseCerts(cfg)
	if err != nil {
		return fmt.Errorf("proxy config %d: %w", cfg.Index, err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return errors.New("the proxy is closed")
	}
	old := p.cfg.Load()
	p.certs.Store(c)
	p.cfg.Store(cfg)
	p.m.configUpdates.Inc()

	var errs []error
	if err := p.updateInbound(cfg); err != nil {
		errs = append(errs, err)
	}
	if err := p.updateUpstreams(cfg); err != nil {
		errs = append(errs, err)
	}
	if old != nil && p.inbound != nil && policyChanged(old, cfg) {
		// Pooled and long connections were allowed when they opened; a
		// deny must reach them too.
		p.inbound.enforce(cfg)
	}
	return errors.Join(errs...)
}

func policyChanged(a, b *structs.MeshProxyConfig) bool {
	if a.DefaultAllow != b.DefaultAllow || a.Namespace != b.Namespace || a.Service != b.Service ||
		len(a.Intentions) != len(b.Intentions) {
		return true
	}
	return !slices.EqualFunc(a.Intentions, b.Intentions, func(x, y *structs.Intention) bool {
		return *x == *y
	})
}

// self is this proxy's service, the destination of inbound connections.
func self(cfg *structs.MeshProxyConfig) intention.Service {
	ns := cfg.Namespace
	if ns == "" {
		ns = "default"
	}
	return intention.Service{Namespace: ns, Name: cfg.Service}
}

// decide tells whether the caller with SPIFFE identity id may connect now.
func decide(cfg *structs.MeshProxyConfig, id string) (intention.Decision, intention.Service, error) {
	_, srcNS, srcName, err := structs.ParseMeshSPIFFEID(id)
	if err != nil {
		return intention.Decision{}, intention.Service{}, err
	}
	src := intention.Service{Namespace: srcNS, Name: srcName}
	return intention.Decide(cfg.Intentions, src, self(cfg), cfg.DefaultAllow), src, nil
}

func (p *Proxy) updateInbound(cfg *structs.MeshProxyConfig) error {
	if p.inbound != nil && p.inbound.addr == cfg.InboundAddr {
		return nil
	}
	if p.inbound != nil {
		p.inbound.close()
		p.inbound = nil
	}
	if cfg.InboundAddr == "" {
		return nil
	}
	in, err := p.listenInbound(cfg.InboundAddr)
	if err != nil {
		return err
	}
	p.inbound = in
	return nil
}

func upstreamKey(u *structs.MeshUpstreamConfig) string {
	return bindAddr(u.LocalBindAddr) + "|" + u.Protocol
}

// bindAddr puts an upstream listener on loopback unless the config names a
// host: an upstream is plaintext and only the local task may use it.
func bindAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		// A bare port.
		return net.JoinHostPort("127.0.0.1", addr)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

func (p *Proxy) updateUpstreams(cfg *structs.MeshProxyConfig) error {
	want := map[string]*structs.MeshUpstreamConfig{}
	for _, u := range cfg.Upstreams {
		if u.LocalBindAddr == "" {
			continue
		}
		want[upstreamKey(u)] = u
	}
	for key, u := range p.upstreams {
		if _, ok := want[key]; !ok {
			u.close()
			delete(p.upstreams, key)
		}
	}
	var errs []error
	for key, ucfg := range want {
		if u, ok := p.upstreams[key]; ok {
			u.update(ucfg)
			continue
		}
		u, err := p.listenUpstream(ucfg)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		p.upstreams[key] = u
	}
	return errors.Join(errs...)
}

// InboundAddr is the inbound listener's address ("" without one); with a
// config that asks for port 0 it tells the port chosen.
func (p *Proxy) InboundAddr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.inbound == nil {
		return ""
	}
	return p.inbound.ln.Addr().String()
}

// UpstreamAddr is the listener address of the upstream to destination
// name ("" when there is none).
func (p *Proxy) UpstreamAddr(name string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, u := range p.upstreams {
		if u.snap.Load().cfg.DestinationName == name {
			return u.ln.Addr().String()
		}
	}
	return ""
}

// Run serves until ctx is cancelled, then drains: listeners close at
// once, open connections get DrainTimeout to finish.
func (p *Proxy) Run(ctx context.Context) error {
	select {
	case <-ctx.Done():
	case <-p.ctx.Done():
		return nil
	}
	dctx, cancel := context.WithTimeout(context.Background(), p.DrainTimeout)
	defer cancel()
	p.Shutdown(dctx)
	return nil
}

// Shutdown closes the listeners, waits for open connections to end until
// ctx is done, then closes whatever is left and waits for every goroutine.
func (p *Proxy) Shutdown(ctx context.Context) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		p.wg.Wait()
		return
	}
	p.closed = true
	in, ups := p.inbound, p.upstreams
	p.inbound, p.upstreams = nil, map[string]*upstream{}
	p.mu.Unlock()

	var drains []func(context.Context)
	if in != nil {
		drains = append(drains, in.drain)
	}
	for _, u := range ups {
		drains = append(drains, u.drain)
	}
	var wg sync.WaitGroup
	for _, d := range drains {
		wg.Add(1)
		go func() { defer wg.Done(); d(ctx) }()
	}
	wg.Wait()
	p.cancel()
	if in != nil {
		in.conns.closeAll()
	}
	for _, u := range ups {
		u.conns.closeAll()
	}
	p.wg.Wait()
}

// Close stops the proxy at once, closing open connections.
func (p *Proxy) Close() error {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p.Shutdown(ctx)
	return nil
}

// dialLocal reaches the task's own service.
func dialLocal(ctx context.Context, addr string) (net.Conn, error) {
	d := net.Dialer{Timeout: defaultConnectTimeout}
	return d.DialContext(ctx, "tcp", addr)
}

// Package mesh is the client agent's side of the service mesh. leaf.go
// keeps the mesh certificates of the services that run on this node: it
// generates each service's key here (the key never leaves the node), has
// the servers sign a CSR, renews the leaf at two thirds of its lifetime and
// at once when the active root changes, and watches the trusted roots with
// blocking queries.
package mesh

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-hclog"
)

// RPCFunc calls a server RPC on behalf of the node (client.Client.rpc).
type RPCFunc func(ctx context.Context, method string, args, reply any) error

// LeafConfig is what a LeafManager needs.
type LeafConfig struct {
	RPC RPCFunc
	// NodeID and SecretID prove the node to the servers; the secret is
	// never logged.
	NodeID   string
	SecretID string
	Logger   hclog.Logger
	// RetryMin and RetryMax bound the back-off after a failed call (1s and
	// 30s by default).
	RetryMin, RetryMax time.Duration
	// RootsWait is the blocking time of one roots query (5 minutes).
	RootsWait time.Duration
}

// LeafBundle is what a proxy needs to speak mTLS as one service.
type LeafBundle struct {
	CertPEM  string
	KeyPEM   string // secret: never log it
	RootsPEM []string
	SPIFFEID string
	// ValidBefore is the leaf's end; it is renewed well before.
	ValidBefore time.Time
	// Index grows whenever the manager's leaves or roots change: a bundle
	// with a higher index replaces one with a lower.
	Index uint64
}

// leafKey names one service.
type leafKey struct{ ns, svc string }

// leafEntry is one service's leaf and the goroutine that renews it.
type leafEntry struct {
	keyPEM string
	leaf   *structs.MeshLeaf
	ready  chan struct{} // closed once the first leaf is there
	// failed is closed when the first attempt failed, with lastErr; the
	// renewer keeps trying, but Leaf answers the error instead of waiting.
	failed  chan struct{}
	lastErr error
	cancel  context.CancelFunc
}

// LeafManager keeps the leaves of the node's services. Its goroutines
// (the roots watch and one renewer per service) end with Stop.
type LeafManager struct {
	cfg    LeafConfig
	logger hclog.Logger
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu         sync.Mutex
	leaves     map[leafKey]*leafEntry
	roots      *structs.MeshCARootsResponse
	rootsReady chan struct{} // closed once the first roots are there
	index      uint64
	changed    chan struct{} // closed and replaced on every change
	// rootsChanged is closed and replaced when the active root changes,
	// to wake the renewers.
	rootsChanged chan struct{}
}

// NewLeafManager starts watching the roots.
func NewLeafManager(cfg LeafConfig) (*LeafManager, error) {
	if cfg.RPC == nil {
		return nil, errors.New("mesh leaf manager: no RPC function")
	}
	if cfg.RetryMin <= 0 {
		cfg.RetryMin = time.Second
	}
	if cfg.RetryMax <= 0 {
		cfg.RetryMax = 30 * time.Second
	}
	if cfg.RootsWait <= 0 {
		cfg.RootsWait = 5 * time.Minute
	}
	logger := cfg.Logger
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &LeafManager{
		cfg: cfg, logger: logger.Named("mesh_leaf"), ctx: ctx, cancel: cancel,
		leaves: map[leafKey]*leafEntry{}, rootsReady: make(chan struct{}),
		changed: make(chan struct{}), rootsChanged: make(chan struct{}),
	}
	m.wg.Add(1)
	go m.watchRoots()
	return m, nil
}

// Stop ends every goroutine of the manager and waits for them.
func (m *LeafManager) Stop() {
	m.cancel()
	m.wg.Wait()
}

// Changed returns a channel closed at the next change of any leaf or of
// the roots. Take it before reading with Leaf to miss nothing.
func (m *LeafManager) Changed() <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.changed
}

// Leaf returns the service's current leaf with the trusted roots, asking
// the servers for one the first time (and keeping it renewed from then on,
// until Forget or Stop). It waits until the first leaf and the roots are
// there, or ctx ends; while the service has no leaf yet because signing
// failed (e.g. no allocation on this node declares it), it returns that
// error at once and the manager keeps trying in the background.
func (m *LeafManager) Leaf(ctx context.Context, namespace, service string) (*LeafBundle, error) {
	if namespace == "" {
		namespace = structs.DefaultNamespace
	}
	if service == "" {
		return nil, errors.New("mesh leaf: a service name is required")
	}
	k := leafKey{namespace, service}
	m.mu.Lock()
	if m.ctx.Err() != nil {
		m.mu.Unlock()
		return nil, errors.New("mesh leaf manager stopped")
	}
	e, ok := m.leaves[k]
	if !ok {
		e = m.startLeaf(k)
	}
	m.mu.Unlock()
	select {
	case <-e.ready:
	case <-e.failed:
		m.mu.Lock()
		defer m.mu.Unlock()
		if e.leaf == nil {
			return nil, e.lastErr
		}
	case <-ctx.Done():
		return nil, fmt.Errorf("mesh leaf for %s/%s: %w", namespace, service, ctx.Err())
	case <-m.ctx.Done():
		return nil, errors.New("mesh leaf manager stopped")
	}
	select {
	case <-m.rootsReady:
	case <-ctx.Done():
		return nil, fmt.Errorf("mesh roots: %w", ctx.Err())
	case <-m.ctx.Done():
		return nil, errors.New("mesh leaf manager stopped")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.bundle(e), nil
}

// Forget stops renewing a service's leaf (its last allocation on the node
// ended).
func (m *LeafManager) Forget(namespace, service string) {
	if namespace == "" {
		namespace = structs.DefaultNamespace
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	k := leafKey{namespace, service}
	if e, ok := m.leaves[k]; ok {
		e.cancel()
		delete(m.leaves, k)
	}
}

// startLeaf registers an entry and starts its renewer; m.mu is held.
func (m *LeafManager) startLeaf(k leafKey) *leafEntry {
	ctx, cancel := context.WithCancel(m.ctx)
	e := &leafEntry{ready: make(chan struct{}), failed: make(chan struct{}), cancel: cancel}
	m.leaves[k] = e
	m.wg.Add(1)
	go m.renewLoop(ctx, k, e)
	return e
}

// bundle copies what a caller may keep; m.mu is held.
func (m *LeafManager) bundle(e *leafEntry) *LeafBundle {
	b := &LeafBundle{CertPEM: e.leaf.CertPEM, KeyPEM: e.keyPEM, SPIFFEID: e.leaf.SPIFFEID,
		ValidBefore: time.Unix(e.leaf.ValidBefore, 0), Index: m.index}
	if m.roots != nil {
		for _, r := range m.roots.Roots {
			b.RootsPEM = append(b.RootsPEM, r.CertPEM)
		}
	}
	return b
}

// notify wakes everyone waiting on Changed; m.mu is held.
func (m *LeafManager) notify() {
	m.index++
	close(m.changed)
	m.changed = make(chan struct{})
}

// activeRootID is the ID of the active root as last seen; m.mu is held.
func (m *LeafManager) activeRootID() string {
	if m.roots == nil {
		return ""
	}
	for _, r := range m.roots.Roots {
		if r.Active {
			return r.ID
		}
	}
	return ""
}

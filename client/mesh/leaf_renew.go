package mesh

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/appmesh/appmesh/internal/ctxsleep"
	"github.com/appmesh/appmesh/mesh/ca"
	"github.com/appmesh/appmesh/structs"
)

// renewLoop keeps one service's leaf: sign, wait until two thirds of its
// lifetime or until the active root changes, sign again. Failures retry
// with back-off; the current leaf stays in use meanwhile.
func (m *LeafManager) renewLoop(ctx context.Context, k leafKey, e *leafEntry) {
	defer m.wg.Done()
	wait := m.cfg.RetryMin
	for {
		// Taken before signing, so that a rotation seen while the call
		// runs still wakes the wait below.
		m.mu.Lock()
		rootsChanged := m.rootsChanged
		m.mu.Unlock()
		keyPEM, leaf, issued, err := m.sign(ctx, k)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			m.mu.Lock()
			e.lastErr = err
			select {
			case <-e.failed:
			default:
				close(e.failed)
			}
			m.mu.Unlock()
			m.logger.Warn("mesh leaf: signing failed; retrying", "namespace", k.ns, "service", k.svc, "error", err, "in", wait)
			if !ctxsleep.Sleep(ctx, wait) {
				return
			}
			wait = min(2*wait, m.cfg.RetryMax)
			continue
		}
		wait = m.cfg.RetryMin
		m.mu.Lock()
		e.keyPEM, e.leaf = keyPEM, leaf
		select {
		case <-e.ready:
		default:
			close(e.ready)
		}
		m.notify()
		m.mu.Unlock()
		m.logger.Debug("mesh leaf signed", "namespace", k.ns, "service", k.svc, "serial", leaf.Serial, "root_id", leaf.RootID)
		if !m.waitRenew(ctx, leaf, renewAt(issued, leaf, m.cfg.RetryMin), rootsChanged) {
			return
		}
	}
}

// renewAt is two thirds into the leaf's lifetime as this node sees it
// (from when the answer came, so that the CA's backdating and clock skew
// do not make it renew at once), but never sooner than floor from now.
func renewAt(issued time.Time, leaf *structs.MeshLeaf, floor time.Duration) time.Time {
	life := time.Unix(leaf.ValidBefore, 0).Sub(issued)
	at := issued.Add(life * 2 / 3)
	if earliest := time.Now().Add(floor); at.Before(earliest) {
		return earliest
	}
	return at
}

// waitRenew waits until at, or until the active root is no longer the one
// that signed leaf. False when ctx ended.
func (m *LeafManager) waitRenew(ctx context.Context, leaf *structs.MeshLeaf, at time.Time, rootsChanged chan struct{}) bool {
	t := time.NewTimer(time.Until(at))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
			return true
		case <-rootsChanged:
		}
		m.mu.Lock()
		active := m.activeRootID()
		rootsChanged = m.rootsChanged
		m.mu.Unlock()
		if active != "" && active != leaf.RootID {
			return true
		}
	}
}

// sign makes a fresh key and has the servers sign it. The key is new on
// every renewal, so a leaked key is worth one leaf's lifetime at most.
func (m *LeafManager) sign(ctx context.Context, k leafKey) (string, *structs.MeshLeaf, time.Time, error) {
	keyPEM, csrPEM, err := ca.NewKeyAndCSR(k.svc)
	if err != nil {
		return "", nil, time.Time{}, err
	}
	req := &structs.MeshSignLeafRequest{Namespace: k.ns, Service: k.svc, CSRPEM: csrPEM,
		NodeID: m.cfg.NodeID, SecretID: m.cfg.SecretID}
	req.WriteRequest.Namespace = k.ns
	var out structs.MeshLeaf
	if err := m.cfg.RPC(ctx, structs.MeshSignLeafRPC, req, &out); err != nil {
		return "", nil, time.Time{}, fmt.Errorf("sign leaf for %s/%s: %w", k.ns, k.svc, err)
	}
	if out.CertPEM == "" {
		return "", nil, time.Time{}, fmt.Errorf("sign leaf for %s/%s: empty answer", k.ns, k.svc)
	}
	return keyPEM, &out, time.Now(), nil
}

// watchRoots follows the trusted roots with blocking queries. A change of
// the active root wakes every renewer.
func (m *LeafManager) watchRoots() {
	defer m.wg.Done()
	var index uint64
	wait := m.cfg.RetryMin
	for {
		req := &structs.MeshCARootsRequest{}
		req.MinQueryIndex, req.MaxQueryTime = index, m.cfg.RootsWait
		req.SetQueryContext(m.ctx)
		var out structs.MeshCARootsResponse
		err := m.cfg.RPC(m.ctx, structs.MeshCARootsRPC, req, &out)
		if m.ctx.Err() != nil {
			return
		}
		if err != nil {
			m.logger.Warn("mesh leaf: watching the CA roots failed; retrying", "error", err, "in", wait)
			if !ctxsleep.Sleep(m.ctx, wait) {
				return
			}
			wait = min(2*wait, m.cfg.RetryMax)
			continue
		}
		wait = m.cfg.RetryMin
		if out.Index < index {
			index = 0 // the servers' state went back (a restore): start over
		} else {
			index = out.Index
		}
		if len(out.Roots) == 0 {
			// No root yet (a new cluster's first election): ask again.
			if !ctxsleep.Sleep(m.ctx, m.cfg.RetryMin) {
				return
			}
			continue
		}
		m.setRoots(&out)
	}
}

// setRoots stores new roots and tells whoever waits.
func (m *LeafManager) setRoots(out *structs.MeshCARootsResponse) {
	m.mu.Lock()
	defer m.mu.Unlock()
	prevActive := m.activeRootID()
	same := m.roots != nil && slices.EqualFunc(m.roots.Roots, out.Roots, func(a, b *structs.MeshCARoot) bool {
		return a.ID == b.ID && a.Active == b.Active
	})
	m.roots = out
	select {
	case <-m.rootsReady:
	default:
		close(m.rootsReady)
	}
	if same {
		return
	}
	m.notify()
	if active := m.activeRootID(); prevActive != "" && active != prevActive {
		m.logger.Info("mesh CA root rotated: renewing leaves", "root_id", active)
		close(m.rootsChanged)
		m.rootsChanged = make(chan struct{})
	}
}

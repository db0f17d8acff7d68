package server

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/appmesh/appmesh/mesh/ca"
	"github.com/appmesh/appmesh/structs"
)

// The service mesh's CA on the servers. The leader creates the first root
// when it takes office and no root is active, rotates on request, and
// deletes retired roots once every leaf they signed has expired. Roots,
// with their private keys, live in the state (Raft and snapshots) only:
// the key is never in an RPC or HTTP answer (those carry
// MeshCARootRecord.Public) and never logged. Every write carries the
// leader's generated key and certificate, so applying stays
// deterministic; the FSM refuses an entry that would leave two active
// roots, which makes concurrent creations or rotations safe without a lock.

// Defaults of the mesh CA.
const (
	DefaultMeshCAPruneInterval = time.Minute
	// meshCARetryMax bounds the back-off of the leader's first-root write.
	meshCARetryMax = 30 * time.Second
)

// MeshCAConfig tunes the mesh CA. Zero values take the defaults.
type MeshCAConfig struct {
	// TrustDomain is the SPIFFE trust domain of a new root
	// (structs.MeshTrustDomain("") by default). Existing roots keep theirs.
	TrustDomain string
	// LeafTTL is the lifetime of a signed leaf (structs.DefaultMeshLeafTTL).
	// A retired root stays trusted for this long after a rotation.
	LeafTTL time.Duration
	// RootValidity is a new root's lifetime (ten years).
	RootValidity time.Duration
	// PruneInterval is how often the leader looks for retired roots whose
	// leaves have all expired.
	PruneInterval time.Duration
	// RetireGrace is added to LeafTTL before a retired root is dropped: a
	// leaf signed by an earlier leader whose clock ran ahead ends a little
	// later (ca.ClockSkew by default).
	RetireGrace time.Duration
}

func (c MeshCAConfig) withDefaults() MeshCAConfig {
	if c.TrustDomain == "" {
		c.TrustDomain = structs.MeshTrustDomain("")
	}
	if c.LeafTTL <= 0 {
		c.LeafTTL = structs.DefaultMeshLeafTTL.Std()
	}
	if c.RootValidity <= 0 {
		c.RootValidity = ca.DefaultRootValidity
	}
	if c.PruneInterval <= 0 {
		c.PruneInterval = DefaultMeshCAPruneInterval
	}
	if c.RetireGrace <= 0 {
		c.RetireGrace = ca.ClockSkew
	}
	return c
}

func (s *Server) meshCAConfig() MeshCAConfig { return s.config.MeshCA.withDefaults() }

// meshCAType is the Raft type of root writes, flagged so that a server
// older than the mesh skips them rather than stopping: it serves no mesh
// RPC, so it loses nothing by not knowing the roots.
const meshCAType = structs.MeshCARootsRequestType | structs.IgnoreUnknownTypeFlag

// runMeshCA is a leader duty: make sure a root is active (establishLeadership
// has tried once already), then prune retired roots whose leaves have
// expired.
func (s *Server) runMeshCA(ctx context.Context) {
	cfg := s.meshCAConfig()
	for wait := time.Second; ; wait = min(2*wait, meshCARetryMax) {
		err := s.ensureMeshCARoot(time.Now())
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return
		}
		s.logger.Warn("mesh CA: creating the first root failed; retrying", "error", err, "in", wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
	t := time.NewTicker(cfg.PruneInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := s.pruneMeshCARoots(time.Now()); err != nil && ctx.Err() == nil {
			s.logger.Warn("mesh CA: pruning retired roots failed", "error", err)
		}
	}
}

// ensureMeshCARoot writes a new active root when none is. A new leader
// after a failover finds the old leader's root in the state (the barrier
// of establishLeadership applied everything committed) and writes nothing.
func (s *Server) ensureMeshCARoot(now time.Time) error {
	active, err := s.State().MeshCAActiveRoot(nil)
	if err != nil {
		return err
	}
	if active != nil {
		return nil
	}
	rec, err := s.newMeshCARoot(now, s.meshCAConfig().TrustDomain)
	if err != nil {
		return err
	}
	if _, err := s.raftApply(meshCAType, &structs.MeshCARootsEntry{Upserts: []*structs.MeshCARootRecord{rec}}); err != nil {
		return fmt.Errorf("write mesh CA root: %w", err)
	}
	s.logger.Info("mesh CA: created the first root", "root_id", rec.ID, "trust_domain", rec.TrustDomain)
	return nil
}

// rotateMeshCARoot makes a new root active and retires the old one, which
// stays trusted until every leaf it may have signed has expired: now + the
// leaf TTL + a grace for clock differences between leaders. Leader only.
func (s *Server) rotateMeshCARoot(now time.Time) (*structs.MeshRotateRootResponse, error) {
	old, err := s.State().MeshCAActiveRoot(nil)
	if err != nil {
		return nil, err
	}
	// A rotation keeps the cluster's identities: the new root is of the
	// old one's trust domain (a configured one applies to the first root).
	td := s.meshCAConfig().TrustDomain
	if old != nil && old.TrustDomain != "" {
		td = old.TrustDomain
	}
	rec, err := s.newMeshCARoot(now, td)
	if err != nil {
		return nil, err
	}
	entry := &structs.MeshCARootsEntry{Upserts: []*structs.MeshCARootRecord{rec}}
	out := &structs.MeshRotateRootResponse{}
	if old != nil {
		retired := *old
		retired.Active = false
		retired.RotatedAt = now.Unix()
		cfg := s.meshCAConfig()
		retired.TrustUntil = now.Add(cfg.LeafTTL + cfg.RetireGrace).Unix()
		entry.Upserts = append([]*structs.MeshCARootRecord{&retired}, entry.Upserts...)
		out.RetiredID, out.TrustUntil = retired.ID, retired.TrustUntil
	}
	idx, err := s.raftApply(meshCAType, entry)
	if err != nil {
		return nil, fmt.Errorf("write rotated mesh CA root: %w", err)
	}
	rec.CreateIndex = idx
	out.Root, out.Index = rec.Public(), idx
	s.logger.Info("mesh CA: rotated the root", "root_id", rec.ID, "retired_id", out.RetiredID)
	return out, nil
}

func (s *Server) newMeshCARoot(now time.Time, trustDomain string) (*structs.MeshCARootRecord, error) {
	cfg := s.meshCAConfig()
	root, err := ca.NewRoot(trustDomain, now, cfg.RootValidity)
	if err != nil {
		return nil, fmt.Errorf("mesh CA: %w", err)
	}
	return &structs.MeshCARootRecord{
		ID: root.ID, TrustDomain: trustDomain, CertPEM: root.CertPEM, PrivateKeyPEM: root.KeyPEM,
		Active: true, NotBefore: root.NotBefore.Unix(), NotAfter: root.NotAfter.Unix(),
	}, nil
}

// pruneMeshCARoots deletes retired roots no unexpired leaf can chain to.
func (s *Server) pruneMeshCARoots(now time.Time) error {
	roots, err := s.State().MeshCARoots(nil)
	if err != nil {
		return err
	}
	var del []string
	for _, r := range roots {
		if !r.TrustedAt(now) {
			del = append(del, r.ID)
		}
	}
	if len(del) == 0 {
		return nil
	}
	if _, err := s.raftApply(meshCAType, &structs.MeshCARootsEntry{Deletes: del}); err != nil {
		return fmt.Errorf("delete expired mesh CA roots: %w", err)
	}
	s.logger.Info("mesh CA: removed retired roots whose leaves have expired", "root_ids", del)
	return nil
}

// trustedMeshRoots lists the roots to trust at now (public parts), the
// active one first, and their trust domain.
func trustedMeshRoots(roots []*structs.MeshCARootRecord, now time.Time) ([]*structs.MeshCARoot, string) {
	out := make([]*structs.MeshCARoot, 0, len(roots))
	td := ""
	for _, r := range roots {
		if r.Active {
			td = r.TrustDomain
			out = append([]*structs.MeshCARoot{r.Public()}, out...)
		} else if r.TrustedAt(now) {
			out = append(out, r.Public())
		}
	}
	return out, td
}

// signMeshLeaf signs a CSR for one service with the active root.
func (s *Server) signMeshLeaf(namespace, service, csrPEM string, now time.Time) (*structs.MeshLeaf, error) {
	active, err := s.State().MeshCAActiveRoot(nil)
	if err != nil {
		return nil, err
	}
	if active == nil {
		// Only between a cluster's first election and the first root's
		// commit: the caller retries.
		return nil, errors.New("mesh CA: no active root yet; retry shortly")
	}
	leaf, err := ca.SignLeaf(active.CertPEM, active.PrivateKeyPEM, ca.LeafRequest{
		TrustDomain: active.TrustDomain, Namespace: namespace, Service: service,
		CSRPEM: csrPEM, TTL: s.meshCAConfig().LeafTTL, Now: now,
	})
	if err != nil {
		return nil, fmt.Errorf("invalid: %w", err)
	}
	return &structs.MeshLeaf{
		CertPEM: leaf.CertPEM, SPIFFEID: leaf.SPIFFEID, Serial: leaf.Serial, RootID: active.ID,
		ValidAfter: leaf.NotBefore.Unix(), ValidBefore: leaf.NotAfter.Unix(),
	}, nil
}

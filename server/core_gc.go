package server

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/appmesh/appmesh/server/state"
	"github.com/appmesh/appmesh/structs"
)

// Default garbage collection thresholds: how long a finished object is
// kept before the leader deletes it (Nomad's defaults).
const (
	DefaultGCInterval           = 5 * time.Minute
	DefaultEvalGCThreshold      = time.Hour
	DefaultBatchEvalGCThreshold = 24 * time.Hour
	DefaultJobGCThreshold       = 4 * time.Hour
	DefaultNodeGCThreshold      = 24 * time.Hour
	DefaultACLTokenGCThreshold  = time.Hour
)

// gcBatchSize bounds the number of objects one collection entry deletes,
// so that a collection after a long outage is many small Raft entries
// rather than one that stalls the log.
const gcBatchSize = 1024

// GCConfig tunes the leader's garbage collection. Zero values take the
// defaults above.
type GCConfig struct {
	// Interval is how often the leader looks for garbage.
	Interval time.Duration
	// EvalThreshold: finished evaluations (and their finished allocations)
	// of service and system jobs, and anything left of purged jobs.
	EvalThreshold time.Duration
	// BatchEvalThreshold: finished evaluations of batch jobs still
	// registered (their allocations stay with the job: they are what says
	// that its work is done).
	BatchEvalThreshold time.Duration
	// JobThreshold: stopped and dead jobs, with everything of them.
	JobThreshold time.Duration
	// NodeThreshold: nodes down for that long that run nothing.
	NodeThreshold time.Duration
	// ACLTokenThreshold: tokens expired for that long.
	ACLTokenThreshold time.Duration
}

func (c GCConfig) withDefaults() GCConfig {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.Interval, DefaultGCInterval)
	def(&c.EvalThreshold, DefaultEvalGCThreshold)
	def(&c.BatchEvalThreshold, DefaultBatchEvalGCThreshold)
	def(&c.JobThreshold, DefaultJobGCThreshold)
	def(&c.NodeThreshold, DefaultNodeGCThreshold)
	def(&c.ACLTokenThreshold, DefaultACLTokenGCThreshold)
	return c
}

// gcCutoffs are the times before which each kind of object is old enough
// to collect.
type gcCutoffs struct {
	now                                   time.Time
	eval, batchEval, job, node, aclTokens time.Time
}

func (c GCConfig) cutoffs(now time.Time) gcCutoffs {
	return gcCutoffs{now: now, eval: now.Add(-c.EvalThreshold), batchEval: now.Add(-c.BatchEvalThreshold),
		job: now.Add(-c.JobThreshold), node: now.Add(-c.NodeThreshold), aclTokens: now.Add(-c.ACLTokenThreshold)}
}

// forcedCutoffs collect whatever is collectable now (`appmesh system gc`).
func forcedCutoffs(now time.Time) gcCutoffs {
	return gcCutoffs{now: now, eval: now, batchEval: now, job: now, node: now, aclTokens: now}
}

// coreGC serialises collection passes: the periodic one and forced ones.
type coreGC struct{ mu sync.Mutex }

// runCoreGC is the leader's garbage collector: every interval it finds
// what is old enough to delete and deletes it through Raft in bounded
// batches. It stops with the leadership.
func (s *Server) runCoreGC(ctx context.Context) {
	cfg := s.config.GC.withDefaults()
	t := time.NewTicker(cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := s.collectGarbage(ctx, cfg.cutoffs(time.Now()))
		if err != nil {
			s.logger.Warn("garbage collection stopped early", "error", err, "collected", n.Total())
			continue
		}
		if n.Total() > 0 {
			s.logger.Debug("garbage collected", "evals", n.Evals, "allocs", n.Allocs, "jobs", n.Jobs,
				"nodes", n.Nodes, "acl_tokens", n.ACLTokens)
		}
	}
}

// collectGarbage runs one pass: it lists what is collectable at the
// cutoffs and deletes it. Only the leader writes; the FSM checks every
// object again, so a pass on a state that moved on deletes nothing live.
func (s *Server) collectGarbage(ctx context.Context, cut gcCutoffs) (structs.GCCounts, error) {
	s.gc.mu.Lock()
	defer s.gc.mu.Unlock()
	b := &gcBatcher{srv: s, ctx: ctx, entry: &structs.CoreGCEntry{Time: cut.now.UnixNano()}}
	st := s.State()
	if err := s.collectJobs(st, cut, b); err != nil {
		return b.counts, err
	}
	if err := collectNodes(st, cut, b); err != nil {
		return b.counts, err
	}
	if err := collectTokens(st, cut, b); err != nil {
		return b.counts, err
	}
	return b.counts, b.flush()
}

// collectNodes: down since before the cutoff and nothing live on them.
func collectNodes(st *state.StateStore, cut gcCutoffs, b *gcBatcher) error {
	nodes, err := st.Nodes(nil)
	if err != nil {
		return fmt.Errorf("gc: %w", err)
	}
	for _, n := range nodes {
		if n.Status != structs.NodeStatusDown || !time.Unix(0, n.StatusUpdatedAt).Before(cut.node) {
			continue
		}
		allocs, err := st.AllocsByNode(nil, n.ID)
		if err != nil {
			return fmt.Errorf("gc node %s: %w", n.ID, err)
		}
		live := false
		for _, a := range allocs {
			live = live || (a.NodeID == n.ID && !a.TerminalStatus())
		}
		if !live {
			if err := b.add(func(e *structs.CoreGCEntry) { e.Nodes = append(e.Nodes, n.ID) }); err != nil {
				return err
			}
		}
	}
	return nil
}

// collectTokens: expired before the cutoff.
func collectTokens(st *state.StateStore, cut gcCutoffs, b *gcBatcher) error {
	tokens, err := st.ACLTokens(nil)
	if err != nil {
		return fmt.Errorf("gc: %w", err)
	}
	for _, t := range tokens {
		if t.ExpirationTime == nil || t.ExpirationTime.After(cut.aclTokens) {
			continue
		}
		if err := b.add(func(e *structs.CoreGCEntry) { e.ACLTokens = append(e.ACLTokens, t.AccessorID) }); err != nil {
			return err
		}
	}
	return nil
}

// gcBatcher fills collection entries and applies each one when full.
type gcBatcher struct {
	srv    *Server
	ctx    context.Context
	entry  *structs.CoreGCEntry
	counts structs.GCCounts
}

func (b *gcBatcher) add(fn func(*structs.CoreGCEntry)) error {
	fn(b.entry)
	if b.entry.Size() < gcBatchSize {
		return nil
	}
	return b.flush()
}

// flush applies the pending entry and counts what it really deleted
// (the FSM skips objects that became referenced).
func (b *gcBatcher) flush() error {
	e := b.entry
	if e.Size() == 0 {
		return nil
	}
	b.entry = &structs.CoreGCEntry{Time: e.Time}
	if err := b.ctx.Err(); err != nil {
		return err
	}
	if _, err := b.srv.raftApply(structs.CoreGCRequestType, e); err != nil {
		return fmt.Errorf("apply garbage collection of %d object(s): %w", e.Size(), err)
	}
	b.counts.Add(countGone(b.srv.State(), e))
	return nil
}

// countGone counts the objects of an applied entry that no longer exist.
func countGone(st *state.StateStore, e *structs.CoreGCEntry) (n structs.GCCounts) {
	for _, id := range e.Allocs {
		if a, err := st.AllocByID(nil, id); err == nil && a == nil {
			n.Allocs++
		}
	}
	for _, id := range e.Evals {
		if ev, err := st.EvalByID(nil, id); err == nil && ev == nil {
			n.Evals++
		}
	}
	for _, j := range e.Jobs {
		if job, err := st.JobByID(nil, j.Namespace, j.ID); err == nil && job == nil {
			n.Jobs++
		}
	}
	for _, id := range e.Nodes {
		if node, err := st.NodeByID(nil, id); err == nil && node == nil {
			n.Nodes++
		}
	}
	for _, id := range e.ACLTokens {
		if t, err := st.ACLTokenByAccessorID(nil, id); err == nil && t == nil {
			n.ACLTokens++
		}
	}
	return n
}

package server

import (
	"context"

	"github.com/appmesh/appmesh/metrics"
	"github.com/appmesh/appmesh/server/state"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-memdb"
)

// queryFn reads from the state store, adds what it read to ws, fills the
// reply and returns the index the reply reflects.
type queryFn func(ws memdb.WatchSet, st *state.StateStore) (uint64, error)

// blockingRPC answers a read, blocking while the data's index is not above
// opts.MinQueryIndex (up to MaxQueryTime). The index never goes below 1 so
// that a client can always block on what it got.
func (s *Server) blockingRPC(opts *structs.QueryOptions, meta *structs.QueryMeta, fn queryFn) error {
	wait := opts.MaxQueryTime
	if wait <= 0 {
		wait = structs.DefaultBlockingQueryTime
	}
	if wait > structs.MaxBlockingQueryTime {
		wait = structs.MaxBlockingQueryTime
	}
	ctx, cancel := context.WithCancel(s.shutdownCtx)
	defer cancel()
	if opts.MinQueryIndex > 0 {
		ctx, cancel = context.WithTimeout(ctx, wait)
		defer cancel()
	}
	// A caller that went away (a closed browser tab, an agent shutting
	// down) must not hold the query for its whole wait.
	if qc := opts.QueryContext(); qc != nil {
		stop := context.AfterFunc(qc, cancel)
		defer stop()
	}

	if opts.MinQueryIndex > 0 {
		metrics.BlockingQueries.Inc()
		defer metrics.BlockingQueries.Dec()
	}
	_, index, err := s.State().BlockingQuery(ctx, opts.MinQueryIndex,
		func(ws memdb.WatchSet, st *state.StateStore) (any, uint64, error) {
			idx, err := fn(ws, st)
			return nil, idx, err
		})
	if err != nil {
		return err
	}
	if index < 1 {
		index = 1
	}
	meta.Index = index
	meta.KnownLeader = s.Leader() != ""
	return nil
}

// maxIndex returns the largest of the given indexes.
func maxIndex(idx ...uint64) uint64 {
	var m uint64
	for _, i := range idx {
		if i > m {
			m = i
		}
	}
	return m
}

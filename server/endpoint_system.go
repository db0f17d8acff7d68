package server

import (
	"fmt"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// System is the RPC endpoint for cluster-wide maintenance.
type System struct{ srv *Server }

// GarbageCollect runs a collection on the leader with every threshold at
// zero and answers once it is done, with what it deleted. Nothing still
// referenced is collected (core_gc_jobs.go).
func (s *System) GarbageCollect(args *structs.SystemGCRequest, reply *structs.SystemGCResponse) error {
	if done, err := s.srv.forward(structs.SystemGCRPC, false, args, reply); done {
		return err
	}
	n, err := s.srv.collectGarbage(s.srv.shutdownCtx, forcedCutoffs(time.Now()))
	reply.Collected = n
	if err != nil {
		return fmt.Errorf("garbage collection: %w", err)
	}
	reply.Index, _ = s.srv.State().LatestIndex()
	return nil
}

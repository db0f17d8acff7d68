package server

import (
	"fmt"

	"github.com/appmesh/appmesh/structs"
)

// disconnectingAllocs lists the live allocations on a node whose group
// has a disconnect window (max_client_disconnect or disconnect.lost_after):
// when the node misses its heartbeat they become unknown instead of lost.
// The group is read from the job version the allocation runs.
func (s *Server) disconnectingAllocs(nodeID string) ([]string, error) {
	st := s.State()
	allocs, err := st.AllocsByNode(nil, nodeID)
	if err != nil {
		return nil, fmt.Errorf("read allocations of node %s: %w", nodeID, err)
	}
	var ids []string
	for _, a := range allocs {
		if a.TerminalStatus() || a.ClientStatus == structs.AllocClientUnknown {
			continue
		}
		job, err := st.JobByIDAndVersion(nil, a.Namespace, a.JobID, a.JobVersion)
		if err != nil {
			return nil, fmt.Errorf("read job %q version %d: %w", a.JobID, a.JobVersion, err)
		}
		if job == nil {
			if job, err = st.JobByID(nil, a.Namespace, a.JobID); err != nil {
				return nil, fmt.Errorf("read job %q: %w", a.JobID, err)
			}
		}
		if job != nil && job.LookupGroup(a.TaskGroup).UnknownWhenDown() {
			ids = append(ids, a.ID)
		}
	}
	return ids, nil
}

// reconnectEvals evaluates, when a node that was down heartbeats again,
// the system jobs (the node may run them again) and every job with a live
// or unknown allocation there: an allocation that was unknown and its
// replacement are reconciled.
func (s *Server) reconnectEvals(nodeID string) ([]*structs.Evaluation, error) {
	evals, err := systemJobEvals(s.State(), nodeID)
	if err != nil {
		return nil, err
	}
	seen := map[jobKey]bool{}
	for _, e := range evals {
		seen[jobKey{e.Namespace, e.JobID}] = true
	}
	more, err := s.nodeEvals(nodeID, structs.EvalTriggerNodeUpdate)
	if err != nil {
		return nil, fmt.Errorf("evaluations for reconnected node %s: %w", nodeID, err)
	}
	for _, e := range more {
		if !seen[jobKey{e.Namespace, e.JobID}] {
			evals = append(evals, e)
		}
	}
	return evals, nil
}

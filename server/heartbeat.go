package server

import (
	"sync"
	"time"

	"github.com/appmesh/appmesh/metrics"
	"github.com/appmesh/appmesh/structs"
)

// heartbeater keeps one timer per node on the leader. A node whose timer
// fires is marked down and its jobs are evaluated, so that lost work is
// placed elsewhere.
type heartbeater struct {
	srv *Server

	mu      sync.Mutex
	enabled bool
	timers  map[string]*time.Timer
}

func newHeartbeater(s *Server) *heartbeater {
	return &heartbeater{srv: s, timers: map[string]*time.Timer{}}
}

// setEnabled starts (leader) or stops every timer.
func (h *heartbeater) setEnabled(on bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.enabled = on
	for id, t := range h.timers {
		t.Stop()
		delete(h.timers, id)
	}
}

// maxHeartbeatsPerSecond caps the heartbeat load on the leader: the TTL
// handed to clients grows with the number of nodes so that, on average,
// no more than this many heartbeats arrive per second.
const maxHeartbeatsPerSecond = 50.0

// ttl is the heartbeat TTL to give clients now.
func (h *heartbeater) ttl() time.Duration {
	h.mu.Lock()
	n := len(h.timers)
	h.mu.Unlock()
	return h.ttlFor(n)
}

// ttlFor is the TTL given to clients when n nodes are tracked.
func (h *heartbeater) ttlFor(n int) time.Duration {
	scaled := time.Duration(float64(n) / maxHeartbeatsPerSecond * float64(time.Second))
	return max(h.srv.config.HeartbeatTTL, scaled)
}

// reset (re)starts a node's timer and returns the TTL the node is given.
// The timer waits the TTL plus a grace period, so one late heartbeat does
// not mark a healthy node down.
func (h *heartbeater) reset(nodeID string) time.Duration {
	ttl := h.ttl()
	h.resetWithTTL(nodeID, ttl+h.srv.config.HeartbeatGrace)
	return ttl
}

func (h *heartbeater) resetWithTTL(nodeID string, ttl time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.enabled {
		return
	}
	if t, ok := h.timers[nodeID]; ok {
		t.Reset(ttl)
		return
	}
	h.timers[nodeID] = time.AfterFunc(ttl, func() { h.expire(nodeID) })
}

func (h *heartbeater) expire(nodeID string) {
	h.mu.Lock()
	delete(h.timers, nodeID)
	on := h.enabled
	h.mu.Unlock()
	if !on {
		return
	}
	metrics.HeartbeatExpirations.Inc()
	log := h.srv.logger.With("node_id", nodeID)
	log.Warn("node missed its heartbeat, marking it down")
	evals, err := h.srv.nodeEvals(nodeID, structs.EvalTriggerNodeUpdate)
	if err != nil {
		log.Error("create evaluations for down node", "error", err)
	}
	entry := &structs.NodeStatusEntry{NodeID: nodeID, Status: structs.NodeStatusDown, UpdatedAt: time.Now().UnixNano(), Evals: evals}
	if entry.UnknownAllocs, err = h.srv.disconnectingAllocs(nodeID); err != nil {
		// They are lost instead, as without a disconnect window.
		log.Error("list allocations with a disconnect window", "error", err)
	}
	if len(entry.UnknownAllocs) > 0 {
		log.Info("allocations become unknown for their disconnect window", "allocs", len(entry.UnknownAllocs))
	}
	if _, err := h.srv.raftApply(structs.NodeUpdateStatusRequestType, entry); err != nil {
		log.Error("mark node down", "error", err)
	}
}

// nodeEvals returns one evaluation for every job with live allocations on
// the node.
func (s *Server) nodeEvals(nodeID, trigger string) ([]*structs.Evaluation, error) {
	st := s.State()
	allocs, err := st.AllocsByNode(nil, nodeID)
	if err != nil {
		return nil, err
	}
	seen := map[jobKey]bool{}
	now := time.Now().UnixNano()
	var evals []*structs.Evaluation
	for _, a := range allocs {
		key := jobKey{a.Namespace, a.JobID}
		if a.TerminalStatus() || seen[key] {
			continue
		}
		seen[key] = true
		job, err := st.JobByID(nil, a.Namespace, a.JobID)
		if err != nil {
			return nil, err
		}
		prio, typ := structs.DefaultPriority, structs.JobTypeService
		if job != nil {
			prio, typ = job.Priority, job.Type
		}
		evals = append(evals, &structs.Evaluation{
			ID: structs.GenerateID(), Namespace: a.Namespace, Priority: prio, Type: typ,
			TriggeredBy: trigger, JobID: a.JobID, NodeID: nodeID,
			Status: structs.EvalStatusPending, CreateTime: now, ModifyTime: now,
		})
	}
	return evals, nil
}

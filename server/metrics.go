package server

import (
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/appmesh/appmesh/metrics"
	"github.com/appmesh/appmesh/server/state"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/raft"
	"github.com/prometheus/client_golang/prometheus"
)

// observePlanResult counts a committed plan's placements and the nodes the
// plan applier refused.
func observePlanResult(jobType string, plan *structs.Plan, result *structs.PlanResult) {
	placed := 0
	for _, allocs := range result.NodeAllocation {
		placed += len(allocs)
	}
	if placed > 0 {
		metrics.SchedulerPlacements.WithLabelValues(jobType).Add(float64(placed))
	}
	for node, allocs := range plan.NodeAllocation {
		if len(allocs) > 0 && len(result.NodeAllocation[node]) < len(allocs) {
			metrics.PlanRejections.Inc()
		}
	}
}

// watchLeaderChanges counts Raft leader changes until the server shuts
// down. Raft drops observations for a full channel rather than block, so
// the count can only miss changes in a storm of elections.
func (s *Server) watchLeaderChanges() {
	ch := make(chan raft.Observation, 16)
	obs := raft.NewObserver(ch, false, func(o *raft.Observation) bool {
		_, ok := o.Data.(raft.LeaderObservation)
		return ok
	})
	s.raft.RegisterObserver(obs)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer s.raft.DeregisterObserver(obs)
		for {
			select {
			case <-s.shutdownCtx.Done():
				return
			case <-ch:
				metrics.RaftLeaderChanges.Inc()
			}
		}
	}()
}

// Statuses that always have a series (0 when none), so that dashboards and
// alerts see them before the first object of that status exists.
var (
	knownNodeStatuses  = []string{structs.NodeStatusInit, structs.NodeStatusReady, structs.NodeStatusDown}
	knownJobStatuses   = []string{structs.JobStatusPending, structs.JobStatusRunning, structs.JobStatusDead}
	knownAllocStatuses = []string{structs.AllocClientPending, structs.AllocClientRunning,
		structs.AllocClientComplete, structs.AllocClientFailed, structs.AllocClientLost, structs.AllocClientUnknown}
	raftStates = []raft.RaftState{raft.Follower, raft.Candidate, raft.Leader, raft.Shutdown}
)

var (
	descRaftState   = desc("raft_state", "1 for the Raft state this server is in, 0 for the others.", "state")
	descRaftLeader  = desc("raft_has_leader", "1 when this server knows a Raft leader, 0 when the cluster has none it can see.")
	descRaftIndex   = desc("raft_index", "Raft log positions of this server (last_log, commit, applied) and its term.", "kind")
	descRaftContact = desc("raft_last_contact_seconds", "Seconds since this follower last heard from the leader (0 on the leader); near the heartbeat timeout, an election is close.")
	descBroker      = desc("eval_broker_evals", "Evaluations in the leader's broker by state: ready, unacked, waiting (behind another of the same job), blocked (no room), delayed.", "state")
	descPlanQueue   = desc("plan_queue_depth", "Plans waiting for the leader's plan applier.")
	descNodes       = desc("nodes", "Nodes by status, from this server's copy of the state.", "status")
	descJobs        = desc("jobs", "Jobs by status, from this server's copy of the state.", "status")
	descAllocs      = desc("allocations", "Allocations by client status, from this server's copy of the state.", "client_status")
)

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(metrics.Namespace+"_"+name, help, labels, nil)
}

// MetricsCollector returns the collector of the server's gauges, read at
// scrape time, and starts counting leader changes. Call it once.
func (s *Server) MetricsCollector() prometheus.Collector {
	s.watchLeaderChanges()
	return &serverCollector{srv: s}
}

type serverCollector struct {
	srv *Server
	// mu guards the cached status counts: recounting only when the state
	// moved keeps a scrape of an idle server cheap.
	mu     sync.Mutex
	counts *state.StatusCounts
	store  *state.StateStore
}

func (c *serverCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descRaftState, descRaftLeader, descRaftIndex, descRaftContact, descBroker,
		descPlanQueue, descNodes, descJobs, descAllocs} {
		ch <- d
	}
}

func (c *serverCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.srv
	cur := s.raft.State()
	for _, st := range raftStates {
		ch <- gauge(descRaftState, boolValue(st == cur), strings.ToLower(st.String()))
	}
	ch <- gauge(descRaftLeader, boolValue(s.Leader() != ""))
	stats := s.raft.Stats()
	for _, k := range []string{"last_log_index", "commit_index", "applied_index", "term"} {
		if v, err := strconv.ParseUint(stats[k], 10, 64); err == nil {
			ch <- gauge(descRaftIndex, float64(v), k)
		}
	}
	if d, ok := lastContact(stats["last_contact"]); ok {
		ch <- gauge(descRaftContact, d.Seconds())
	}
	ready, unacked, waiting := s.broker.Stats()
	ch <- gauge(descBroker, float64(ready), "ready")
	ch <- gauge(descBroker, float64(unacked), "unacked")
	ch <- gauge(descBroker, float64(waiting), "waiting")
	ch <- gauge(descBroker, float64(s.blocked.Len()), "blocked")
	ch <- gauge(descBroker, float64(s.broker.Delayed()), "delayed")
	ch <- gauge(descPlanQueue, float64(len(s.planQueue.ch)))
	counts := c.statusCounts()
	if counts == nil {
		return
	}
	emitCounts(ch, descNodes, knownNodeStatuses, counts.Nodes)
	emitCounts(ch, descJobs, knownJobStatuses, counts.Jobs)
	emitCounts(ch, descAllocs, knownAllocStatuses, counts.Allocs)
}

// statusCounts returns the counts at the state's latest index, recounting
// only when the index moved (or a restore replaced the store).
func (c *serverCollector) statusCounts() *state.StatusCounts {
	store := c.srv.State()
	index, err := store.LatestIndex()
	if err != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.counts != nil && c.store == store && c.counts.Index == index {
		return c.counts
	}
	counts, err := store.CountStatuses()
	if err != nil {
		c.srv.logger.Warn("count state for metrics", "error", err)
		return nil
	}
	c.counts, c.store = counts, store
	return counts
}

func emitCounts(ch chan<- prometheus.Metric, d *prometheus.Desc, known []string, got map[string]int) {
	for _, st := range known {
		ch <- gauge(d, float64(got[st]), st)
	}
	for st, n := range got {
		if !slices.Contains(known, st) {
			ch <- gauge(d, float64(n), st)
		}
	}
}

func gauge(d *prometheus.Desc, v float64, labels ...string) prometheus.Metric {
	return prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
}

// lastContact reads Raft's last_contact statistic: "0" on the leader,
// "never" before a follower heard from one (no value then), else a
// duration.
func lastContact(v string) (time.Duration, bool) {
	if v == "0" {
		return 0, true
	}
	d, err := time.ParseDuration(v)
	return d, err == nil
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// Package metrics holds appmesh's Prometheus instruments and builds the
// registry an agent serves at GET /v1/metrics.
//
// The instruments (counters and histograms fed where things happen: Raft
// applies, scheduler runs, task starts) are package-level, because they are
// fed from deep inside server/, client/ and the HTTP layer, which should not
// carry a registry around. Every agent registers them into its own
// registry (NewRegistry), never into Prometheus's global default one, along
// with collectors that read the agent's state at scrape time (nodes, jobs
// and allocations by status, per-task CPU and memory).
//
// Names follow appmesh_<area>_<what>_<unit>; labels are bounded: a message
// type, a job type, an HTTP route template, a status, or a task's
// namespace/job/group/task, never an ID.
package metrics

import (
	"regexp"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Namespace prefixes every appmesh metric.
const Namespace = "appmesh"

// latencyBuckets span 100µs to ~26s: Raft applies on a fast disk are well
// under a millisecond, a plan of thousands of placements takes seconds.
var latencyBuckets = prometheus.ExponentialBuckets(0.0001, 4, 10)

// TaskLabels are the labels of every per-task series.
var TaskLabels = []string{"namespace", "job", "group", "task"}

// Server instruments.
var (
	RaftApply = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: Namespace, Subsystem: "raft", Name: "apply_seconds",
		Help:    "Time from handing an entry to Raft to its commit and apply on the leader, by message type.",
		Buckets: latencyBuckets,
	}, []string{"type"})
	FSMApply = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: Namespace, Subsystem: "fsm", Name: "apply_seconds",
		Help:    "Time the state machine takes to apply one committed entry, by message type.",
		Buckets: latencyBuckets,
	}, []string{"type"})
	RaftLeaderChanges = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: Namespace, Subsystem: "raft", Name: "leader_changes_total",
		Help: "Times this server saw the Raft leader change (including to no leader).",
	})
	SchedulerEval = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: Namespace, Subsystem: "scheduler", Name: "eval_seconds",
		Help:    "Time a scheduler worker spends on one evaluation, plan commit included, by job type.",
		Buckets: latencyBuckets,
	}, []string{"job_type"})
	SchedulerPlacements = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Subsystem: "scheduler", Name: "placements_total",
		Help: "Allocations placed by committed plans, by job type.",
	}, []string{"job_type"})
	PlanApply = prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: Namespace, Subsystem: "plan", Name: "apply_seconds",
		Help:    "Time the plan applier takes to check and commit one batch of plans.",
		Buckets: latencyBuckets,
	})
	PlanRejections = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: Namespace, Subsystem: "plan", Name: "node_rejections_total",
		Help: "Nodes of submitted plans the plan applier refused (the node no longer fit).",
	})
	Heartbeats = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: Namespace, Subsystem: "heartbeat", Name: "received_total",
		Help: "Node heartbeats this server handled as leader.",
	})
	HeartbeatExpirations = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: Namespace, Subsystem: "heartbeat", Name: "expirations_total",
		Help: "Nodes marked down because their heartbeat stopped.",
	})
	BlockingQueries = prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: Namespace, Subsystem: "rpc", Name: "blocking_queries",
		Help: "Blocking reads (clients' allocation watches, UI pages, ?index= API calls) waiting on this server for a change.",
	})
)

// Client instruments.
var (
	ClientHeartbeat = prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: Namespace, Subsystem: "client", Name: "heartbeat_seconds",
		Help:    "Round trip of the node's heartbeats that the servers answered; failed ones count in heartbeat_failures_total.",
		Buckets: latencyBuckets,
	})
	ClientHeartbeatFailures = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: Namespace, Subsystem: "client", Name: "heartbeat_failures_total",
		Help: "Heartbeats of this node that no server answered or that a server refused.",
	})
	TaskStarts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Subsystem: "client", Name: "task_starts_total",
		Help: "Task processes started by this client.",
	}, TaskLabels)
	TaskRestarts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Subsystem: "client", Name: "task_restarts_total",
		Help: "Task restarts on this client: by the restart policy, or asked for (alloc restart).",
	}, TaskLabels)
	TaskOOMKills = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Subsystem: "client", Name: "task_oom_kills_total",
		Help: "Task processes that ended killed by the kernel's OOM killer.",
	}, TaskLabels)
	TaskExits = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Subsystem: "client", Name: "task_exits_total",
		Help: "Task processes that ended, by exit code (0-255; signals as 128+N by convention of the driver).",
	}, append(append([]string(nil), TaskLabels...), "exit_code"))
)

// HTTP instruments.
var (
	HTTPRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Subsystem: "http", Name: "requests_total",
		Help: "HTTP API requests, by method, route template and status code.",
	}, []string{"method", "route", "code"})
	HTTPErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Subsystem: "http", Name: "request_errors_total",
		Help: "HTTP API requests answered with a 5xx status, by method and route template.",
	}, []string{"method", "route"})
	HTTPDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: Namespace, Subsystem: "http", Name: "request_duration_seconds",
		Help:    "Time to answer an HTTP API request (a stream counts until it ends), by method and route template.",
		Buckets: latencyBuckets,
	}, []string{"method", "route"})
)

// instruments lists everything fed from the code paths, registered into
// every agent's registry.
func instruments() []prometheus.Collector {
	return []prometheus.Collector{
		RaftApply, FSMApply, RaftLeaderChanges, SchedulerEval, SchedulerPlacements,
		PlanApply, PlanRejections, Heartbeats, HeartbeatExpirations, BlockingQueries,
		ClientHeartbeat, ClientHeartbeatFailures, TaskStarts, TaskRestarts, TaskOOMKills, TaskExits,
		HTTPRequests, HTTPErrors, HTTPDuration,
	}
}

// schedLatencies is the one runtime scheduler metric exported beyond the
// collector's defaults (the other /sched/ series would double the size of
// a scrape for little).
var schedLatencies = collectors.GoRuntimeMetricsRule{Matcher: regexp.MustCompile(`^/sched/latencies:seconds$`)}

// NewRegistry returns a registry with the Go runtime and process
// collectors, every appmesh instrument, and the given collectors (an
// agent's server and client state). A collector that fails to register is
// a programming error (a duplicate name) and is returned as one.
func NewRegistry(extra ...prometheus.Collector) (*prometheus.Registry, error) {
	reg := prometheus.NewRegistry()
	all := []prometheus.Collector{
		// Scheduler latencies (go_sched_latencies_seconds: how long
		// runnable goroutines waited to run) tell a server starved of CPU,
		// whose Raft heartbeats then miss their timeout, from a slow disk.
		collectors.NewGoCollector(collectors.WithGoCollectorRuntimeMetrics(schedLatencies)),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	}
	all = append(all, instruments()...)
	all = append(all, extra...)
	for _, c := range all {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return reg, nil
}

// Since observes the seconds elapsed since start on o. Use it deferred:
// defer metrics.Since(metrics.PlanApply, time.Now()).
func Since(o prometheus.Observer, start time.Time) {
	o.Observe(time.Since(start).Seconds())
}

// ExitCode is the exit_code label value of a task exit.
func ExitCode(code int) string { return strconv.Itoa(code) }

// DescribedNames returns the metric names the appmesh instruments and the
// given collectors describe (histograms as their family name), so tests can
// check that dashboards and alert rules name only metrics that exist.
func DescribedNames(extra ...prometheus.Collector) map[string]bool {
	ch := make(chan *prometheus.Desc)
	go func() {
		for _, c := range append(instruments(), extra...) {
			c.Describe(ch)
		}
		close(ch)
	}()
	names := map[string]bool{}
	for d := range ch {
		if m := fqName.FindStringSubmatch(d.String()); m != nil {
			names[m[1]] = true
		}
	}
	return names
}

// fqName reads the name out of a Desc's String(), which is the only way
// the library shows it.
var fqName = regexp.MustCompile(`fqName: "([^"]+)"`)

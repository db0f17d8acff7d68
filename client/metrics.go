package client

import (
	"slices"
	"strings"

	"github.com/appmesh/appmesh/client/allocrunner"
	"github.com/appmesh/appmesh/metrics"
	"github.com/appmesh/appmesh/structs"
	"github.com/prometheus/client_golang/prometheus"
)

var (
	descAllocs = cdesc("allocations", "Allocations on this client by client status.", "client_status")
	descCPU    = cdesc("task_cpu_seconds_total", "CPU time used by a running task's processes (user + system); the allocations of one task on this node are summed.", metrics.TaskLabels...)
	descMem    = cdesc("task_memory_bytes", "Memory charged to a running task (cgroup usage, or RSS where the driver has no cgroup).", metrics.TaskLabels...)
	descMemMax = cdesc("task_memory_limit_bytes", "Hard memory limit of a running task, where the driver enforces one.", metrics.TaskLabels...)
	descPIDs   = cdesc("task_pids", "Processes in a running task.", metrics.TaskLabels...)
	descFDs    = cdesc("task_open_fds", "File descriptors a running task's processes hold open, where the driver can see them (exec, raw_exec).", metrics.TaskLabels...)
	descDriver = cdesc("driver_healthy", "1 when the driver plugin is detected and healthy on this node, 0 otherwise.", "driver")
)

func cdesc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(metrics.Namespace+"_client_"+name, help, labels, nil)
}

var knownClientStatuses = []string{structs.AllocClientPending, structs.AllocClientRunning,
	structs.AllocClientComplete, structs.AllocClientFailed, structs.AllocClientLost, structs.AllocClientUnknown}

// MetricsCollector returns the collector of the client's gauges: its
// allocations by status, each running task's usage (sampled from its
// driver at scrape time, so a task's series go away when it stops) and its
// drivers' health.
func (c *Client) MetricsCollector() prometheus.Collector { return clientCollector{c} }

type clientCollector struct{ c *Client }

func (cc clientCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descAllocs, descCPU, descMem, descMemMax, descPIDs, descFDs, descDriver} {
		ch <- d
	}
}

// taskSample sums the usage of one task's allocations on this node.
type taskSample struct {
	labels              []string
	cpu, mem, limit     float64
	pids, fds           float64
	hasLimitAll, hasFDs bool
}

func (cc clientCollector) Collect(ch chan<- prometheus.Metric) {
	cc.c.allocMu.RLock()
	runners := make([]*allocrunner.AllocRunner, 0, len(cc.c.allocs))
	for _, ar := range cc.c.allocs {
		runners = append(runners, ar)
	}
	cc.c.allocMu.RUnlock()

	statuses := map[string]int{}
	tasks := map[string]*taskSample{}
	for _, ar := range runners {
		statuses[ar.ClientStatus()]++
		for _, tu := range ar.RunningTaskUsage() {
			key := strings.Join(tu.Labels, "\x00")
			s := tasks[key]
			if s == nil {
				s = &taskSample{labels: tu.Labels, hasLimitAll: true}
				tasks[key] = s
			}
			u := tu.Usage
			if u.CPUUserNanos+u.CPUSystemNanos > 0 {
				s.cpu += float64(u.CPUUserNanos+u.CPUSystemNanos) / 1e9
			} else {
				s.cpu += float64(u.CPUTotalTicks) / 100
			}
			mem := u.MemoryUsageBytes
			if mem == 0 {
				mem = u.MemoryRSSBytes
			}
			s.mem += float64(mem)
			s.limit += float64(u.MemoryLimitBytes)
			s.hasLimitAll = s.hasLimitAll && u.MemoryLimitBytes > 0
			s.pids += float64(u.PIDs)
			if slices.Contains(u.Measured, "fds") {
				s.fds += float64(u.OpenFDs)
				s.hasFDs = true
			}
		}
	}
	for _, st := range knownClientStatuses {
		ch <- cgauge(descAllocs, float64(statuses[st]), st)
	}
	for st, n := range statuses {
		if st != "" && !slices.Contains(knownClientStatuses, st) {
			ch <- cgauge(descAllocs, float64(n), st)
		}
	}
	for _, s := range tasks {
		ch <- prometheus.MustNewConstMetric(descCPU, prometheus.CounterValue, s.cpu, s.labels...)
		ch <- cgauge(descMem, s.mem, s.labels...)
		if s.hasLimitAll {
			ch <- cgauge(descMemMax, s.limit, s.labels...)
		}
		ch <- cgauge(descPIDs, s.pids, s.labels...)
		if s.hasFDs {
			ch <- cgauge(descFDs, s.fds, s.labels...)
		}
	}
	cc.collectDrivers(ch)
}

func (cc clientCollector) collectDrivers(ch chan<- prometheus.Metric) {
	cc.c.nodeMu.Lock()
	var drivers map[string]bool
	if cc.c.node != nil {
		drivers = make(map[string]bool, len(cc.c.node.Drivers))
		for name, d := range cc.c.node.Drivers {
			drivers[name] = d != nil && d.Detected && d.Healthy
		}
	}
	cc.c.nodeMu.Unlock()
	for name, ok := range drivers {
		v := 0.0
		if ok {
			v = 1
		}
		ch <- cgauge(descDriver, v, name)
	}
}

func cgauge(d *prometheus.Desc, v float64, labels ...string) prometheus.Metric {
	return prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
}

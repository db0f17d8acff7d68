package e2e

import (
	"bytes"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// failingBatchHCL is a one-task exec batch job that restarts its task
// `attempts` times (1s apart) and is never rescheduled, so every start,
// restart and exit of its task is this one allocation's: the counters of
// its job must move by exactly that much.
func failingBatchHCL(id string, attempts, memoryMB int, script string) string {
	return fmt.Sprintf(`job %q {
  type = "batch"
  group "g" {
    count = 1
    restart {
      attempts = %d
      interval = "30m"
      delay    = "1s"
      mode     = "fail"
    }
    reschedule {
      attempts  = 0
      unlimited = false
    }
    task "t" {
      driver = "exec"
      config {
        command = "/bin/sh"
        args    = ["-c", %q]
      }
      resources {
        cpu    = 100
        memory = %d
      }
    }
  }
}
`, id, attempts, script, memoryMB)
}

// scrape reads the agent's /v1/metrics into metric families.
func (a *agent) scrape() (map[string]*dto.MetricFamily, error) {
	r, err := a.do(http.MethodGet, "/v1/metrics", nil)
	if err != nil {
		return nil, err
	}
	if r.status != http.StatusOK {
		return nil, fmt.Errorf("GET /v1/metrics: status %d: %s", r.status, r.body)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	return parser.TextToMetricFamilies(bytes.NewReader(r.body))
}

// jobTaskCounters are a job's client task counters from one scrape; exits
// is keyed by exit_code. Absent series are 0: a counter that never moved
// has no series.
type jobTaskCounters struct {
	starts, restarts, ooms float64
	exits                  map[string]float64
}

func (c jobTaskCounters) String() string {
	codes := make([]string, 0, len(c.exits))
	for code, n := range c.exits {
		codes = append(codes, fmt.Sprintf("%s:%v", code, n))
	}
	sort.Strings(codes)
	return fmt.Sprintf("starts=%v restarts=%v oom_kills=%v exits{%s}", c.starts, c.restarts, c.ooms, strings.Join(codes, " "))
}

func taskCounters(fams map[string]*dto.MetricFamily, job string) jobTaskCounters {
	c := jobTaskCounters{exits: map[string]float64{}}
	sel := map[string]string{"job": job, "namespace": "default"}
	c.starts = max(0, seriesValue(fams["appmesh_client_task_starts_total"], sel))
	c.restarts = max(0, seriesValue(fams["appmesh_client_task_restarts_total"], sel))
	c.ooms = max(0, seriesValue(fams["appmesh_client_task_oom_kills_total"], sel))
	if f := fams["appmesh_client_task_exits_total"]; f != nil {
		for _, m := range f.Metric {
			l := map[string]string{}
			for _, p := range m.Label {
				l[p.GetName()] = p.GetValue()
			}
			if l["job"] == job {
				c.exits[l["exit_code"]] += m.Counter.GetValue()
			}
		}
	}
	return c
}

// waitCounters waits until the job's counters read want, then scrapes once
// more: a counter that overshoots later (a restart counted twice) fails.
func (a *agent) waitCounters(job string, want jobTaskCounters) {
	a.t.Helper()
	a.waitFor(fmt.Sprintf("the task counters of %s to read %s", job, want), func() (bool, string) {
		fams, err := a.scrape()
		if err != nil {
			return false, err.Error()
		}
		got := taskCounters(fams, job)
		return got.String() == want.String(), got.String()
	})
	fams, err := a.scrape()
	if err != nil {
		a.fatalf("scrape: %v", err)
	}
	got := taskCounters(fams, job)
	if got.String() != want.String() {
		a.fatalf("task counters of %s moved on to %s, want %s", job, got, want)
	}
	a.t.Logf("%s: %s", job, got)
}

// runToFailure runs a failingBatchHCL job and waits for its one allocation
// to fail with its task dead.
func (a *agent) runToFailure(t *testing.T, id, hcl string) alloc {
	a.t.Helper()
	if r := a.cli("job run", "-detach", writeFile(t, id+".hcl", hcl)); r.code != 0 {
		a.fatalf("job run %s: %s", id, r)
	}
	allocs := a.waitAllocs(id, "a failed allocation with its task dead", func(as []alloc) (bool, string) {
		ts := (*taskState)(nil)
		if len(as) == 1 {
			ts = as[0].TaskStates["t"]
		}
		return len(as) == 1 && as[0].ClientStatus == "failed" && ts != nil && ts.State == "dead", describeAllocs(as)
	})
	return allocs[0]
}

// TestClientTaskMetrics runs real exec tasks on a dev agent and reads its
// /v1/metrics: a task failing with exit 3 and restarted twice by its policy
// moves starts by 3, restarts by 2 and exits{exit_code="3"} by 3; a task
// over its 32 MB memory limit (a real cgroup) is OOM killed once, with
// exit code 137 (SIGKILL); a restart through `alloc restart` counts as
// one; the heartbeat histogram counts every heartbeat
// the server received, with a positive sum.
func TestClientTaskMetrics(t *testing.T) {
	t.Parallel()
	a := startAgent(t, agentOptions{dev: true})

	// Restarts and exit codes. The agent is fresh, so the job's series
	// start at 0 (its labels are new).
	failed := a.runToFailure(t, "metrics-restart", failingBatchHCL("metrics-restart", 2, 32, "echo failing; exit 3"))
	if ts := failed.TaskStates["t"]; ts.Restarts != 2 || ts.ExitCode == nil || *ts.ExitCode != 3 {
		a.fatalf("task state: restarts %d exit_code %s, want 2 restarts and exit code 3", ts.Restarts, intp(ts.ExitCode))
	}
	a.waitCounters("metrics-restart", jobTaskCounters{starts: 3, restarts: 2, exits: map[string]float64{"3": 3}})

	// An OOM kill. tail buffers /dev/zero's endless line until the kernel
	// kills it for the cgroup's memory limit.
	oom := a.runToFailure(t, "metrics-oom", failingBatchHCL("metrics-oom", 0, 32, "exec tail /dev/zero"))
	ts := oom.TaskStates["t"]
	killed := false
	for _, e := range ts.Events {
		killed = killed || (e.Type == "Terminated" && strings.Contains(e.Message, "OOM Killed"))
	}
	if !killed {
		a.fatalf("the hog's task events have no OOM-killed Terminated event: %+v", ts.Events)
	}
	a.waitCounters("metrics-oom", jobTaskCounters{starts: 1, ooms: 1, exits: map[string]float64{"137": 1}})
	var node struct {
		Attributes map[string]string `json:"attributes"`
	}
	a.getJSON("/v1/node/"+oom.NodeID, &node)
	t.Logf("the exec driver limited memory with %s", node.Attributes["driver.exec.cgroup"])
	// The failing job above was not OOM killed.
	if fams, err := a.scrape(); err != nil || taskCounters(fams, "metrics-restart").ooms != 0 {
		a.fatalf("metrics-restart counts an OOM kill (scrape error %v)", err)
	}

	// A restart asked for with `alloc restart` counts as a restart too,
	// and the stopped process's exit as an exit (SIGTERM: 128+15).
	sec, marker := taskSleep(67)
	a.track(marker)
	if r := a.cli("job run", "-detach", writeFile(t, "metrics-svc.hcl", serviceHCL("metrics-svc", 1, fmt.Sprintf("exec sleep %d", sec)))); r.code != 0 {
		a.fatalf("job run metrics-svc: %s", r)
	}
	running := a.waitAllocs("metrics-svc", "the task to run", func(as []alloc) (bool, string) {
		return len(as) == 1 && as[0].ClientStatus == "running", describeAllocs(as)
	})
	if r := a.cli("alloc restart", running[0].ID); r.code != 0 {
		a.fatalf("alloc restart: %s", r)
	}
	a.waitCounters("metrics-svc", jobTaskCounters{starts: 2, restarts: 1, exits: map[string]float64{"143": 1}})

	a.checkHeartbeatHistogram()
}

// checkHeartbeatHistogram: in a dev agent, the one client's heartbeats are
// the only ones its server receives, and the client calls its server in
// process (no network to lose one on the way), so the client's histogram
// count must equal appmesh_heartbeat_received_total once no heartbeat is
// in flight;
// it must grow (a heartbeat every ~5s with the dev TTL of 10s) and its sum
// of round trips must be positive and grow with it.
func (a *agent) checkHeartbeatHistogram() {
	a.t.Helper()
	read := func() (count, sum, received float64, err error) {
		fams, err := a.scrape()
		if err != nil {
			return 0, 0, 0, err
		}
		h := fams["appmesh_client_heartbeat_seconds"]
		r := fams["appmesh_heartbeat_received_total"]
		if h == nil || len(h.Metric) != 1 || h.Metric[0].Histogram == nil || r == nil || len(r.Metric) != 1 {
			return 0, 0, 0, fmt.Errorf("no heartbeat histogram or received counter: %v %v", h, r)
		}
		hist := h.Metric[0].Histogram
		return float64(hist.GetSampleCount()), hist.GetSampleSum(), r.Metric[0].Counter.GetValue(), nil
	}
	count0, sum0, _, err := read()
	if err != nil {
		a.fatalf("scrape: %v", err)
	}
	var status string
	a.waitFor("two more heartbeats, as many as the server received, with a growing positive sum", func() (bool, string) {
		count, sum, received, err := read()
		if err != nil {
			return false, err.Error()
		}
		status = fmt.Sprintf("count %v (from %v), sum %vs (from %vs), server received %v", count, count0, sum, sum0, received)
		return count >= count0+2 && sum > sum0 && sum > 0 && count == received, status
	})
	a.t.Logf("heartbeats: %s", status)
}

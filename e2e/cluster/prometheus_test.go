package cluster

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestPrometheusScrapesCluster runs three servers and two clients as
// processes and a real Prometheus (Debian's package) scraping every
// agent's /v1/metrics each second, then asserts through Prometheus's own
// query API: every target is up, the cluster has one leader, a job's run
// moves the scheduler and task series, its tasks' CPU and memory series
// appear within two scrapes of them running and go away after they stop,
// and the example alert rules load.
func TestPrometheusScrapesCluster(t *testing.T) {
	promBin := prometheusBin(t)
	c := newProcCluster(t)
	servers := c.startServers(3)
	clients := []*procAgent{c.newClient("c1", servers[0], servers[1]), c.newClient("c2", servers[1], servers[2])}
	for _, cl := range clients {
		cl.start()
	}
	waitNodesReady(t, servers[0].api, "c1", "c2")
	prom := startPrometheus(t, promBin, append(servers, clients...))

	prom.waitValue(t, "every agent scraped", `count(up == 1)`, 5)
	prom.waitValue(t, "one leader", `sum(appmesh_raft_state{state="leader"})`, 1)
	prom.waitValue(t, "two ready nodes", `max(appmesh_nodes{status="ready"})`, 2)
	placedBefore := prom.value(t, `sum(appmesh_scheduler_placements_total) or vector(0)`)

	secs := taskSleep(41)
	c.track(secs)
	if err := servers[0].api.register(sleepJob("prom-web", 2, 32, secs)); err != nil {
		t.Fatalf("register prom-web: %v", err)
	}
	allocs := waitRunning(t, servers[0].api, "prom-web", 2)
	prom.waitValue(t, "two task starts", `sum(appmesh_client_task_starts_total{exported_job="prom-web"})`, 2)
	prom.waitValue(t, "two running allocations seen by the servers", `max(appmesh_allocations{client_status="running"})`, 2)
	// A scrape of the leader can time out on a busy machine, which marks
	// its series stale for a moment: wait for the count, do not sample once.
	prom.waitFor(t, "two more placements", func() error {
		res := prom.query(t, `sum(appmesh_scheduler_placements_total)`)
		if len(res) != 1 || len(res[0].Value) != 2 {
			return fmt.Errorf("no placement series yet")
		}
		placed, err := strconv.ParseFloat(fmt.Sprint(res[0].Value[1]), 64)
		if err != nil {
			return err
		}
		if placed < placedBefore+2 {
			return fmt.Errorf("placements went from %v to %v, want +2", placedBefore, placed)
		}
		return nil
	})
	memQuery := `appmesh_client_task_memory_bytes{exported_job="prom-web"}`
	prom.waitFor(t, "task memory series of prom-web", func() error {
		n := len(prom.query(t, memQuery))
		if n == 0 {
			return fmt.Errorf("no series yet")
		}
		return nil
	})
	for _, node := range nodesOf(allocs) {
		inst := clientInstance(clients, node)
		started := taskTimes(t, servers[0].api, "prom-web", node, false)
		first := prom.sampleTimes(t, fmt.Sprintf(`appmesh_client_task_memory_bytes{exported_job="prom-web",instance=%q}[10m]`, inst))
		if len(first) == 0 {
			t.Fatalf("no memory samples of prom-web on %s", node)
		}
		scrapes := prom.sampleTimes(t, fmt.Sprintf(`up{instance=%q}[10m]`, inst))
		if n := countBetween(scrapes, started, first[0]); n > 1 {
			t.Errorf("prom-web's memory series on %s appeared %d scrapes after the task ran, want within two", node, n+1)
		}
		cpu := prom.query(t, fmt.Sprintf(`appmesh_client_task_cpu_seconds_total{exported_job="prom-web",instance=%q}`, inst))
		if len(cpu) == 0 {
			t.Errorf("no CPU series of prom-web on %s", node)
		}
	}

	if err := servers[0].api.do(http.MethodDelete, "/v1/job/prom-web", nil, nil); err != nil {
		t.Fatalf("stop prom-web: %v", err)
	}
	waitFor(t, waitTimeout, "prom-web's tasks stopped", func() error {
		as, err := servers[0].api.jobAllocs("prom-web")
		if err != nil {
			return err
		}
		if n := len(running(as)); n > 0 {
			return fmt.Errorf("%d still running", n)
		}
		return nil
	}, nil)
	prom.waitFor(t, "prom-web's memory series gone", func() error {
		if n := len(prom.query(t, memQuery)); n > 0 {
			return fmt.Errorf("%d series still there", n)
		}
		return nil
	})
	for _, node := range nodesOf(allocs) {
		inst := clientInstance(clients, node)
		finished := taskTimes(t, servers[0].api, "prom-web", node, true)
		samples := prom.sampleTimes(t, fmt.Sprintf(`appmesh_client_task_memory_bytes{exported_job="prom-web",instance=%q}[10m]`, inst))
		if n := countBetween(samples, finished, time.Now().Add(time.Hour)); n > 1 {
			t.Errorf("prom-web's memory series on %s lasted %d scrapes after the task stopped, want at most one", node, n)
		}
	}
	checkHeartbeatsOnLeader(t, prom)
	prom.waitValue(t, "the alert rules loaded", `count(ALERTS) or vector(0)`, 0) // queryable; none firing
	if groups := prom.ruleNames(t); !strings.Contains(groups, "AppmeshLeaderLost") || !strings.Contains(groups, "AppmeshTaskCrashLoop") {
		t.Errorf("Prometheus did not load website/prometheus/alerts.yml: rules %s", groups)
	}
}

// checkHeartbeatsOnLeader: heartbeat figures are the leader's (website/
// observability.md): the leader counts the clients' heartbeats, and a
// follower that forwards one to it counts none. Only servers that were
// follower at every scrape of the window are judged, so a leader change
// during the test does not count against them.
func checkHeartbeatsOnLeader(t *testing.T, prom *promServer) {
	t.Helper()
	const window = "[2m]"
	// c1 and c2 send to different servers, so at least one of them sends
	// through a follower: four heartbeats on the leader (about two from
	// each, ~10 s) make sure some were forwarded.
	onLeader := `sum((increase(appmesh_heartbeat_received_total` + window + `) and on(instance) (appmesh_raft_state{state="leader"} == 1))) or vector(0)`
	prom.waitFor(t, "four heartbeats counted by the leader", func() error {
		if v := prom.value(t, onLeader); v < 4 {
			return fmt.Errorf("%v heartbeats counted by the leader in the last 2m", v)
		}
		return nil
	})
	followers := `(max_over_time(appmesh_raft_state{state="leader"}` + window + `) == 0)`
	for _, r := range prom.query(t, `increase(appmesh_heartbeat_received_total`+window+`) and on(instance) `+followers) {
		t.Logf("follower %v: heartbeats counted in the window: %v", r.Metric["instance"], r.Value[1])
		if fmt.Sprint(r.Value[1]) != "0" {
			t.Errorf("follower %v counted %v heartbeats in the last 2m, want 0: it only forwards them", r.Metric["instance"], r.Value[1])
		}
	}
}

func prometheusBin(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("APPMESH_PROMETHEUS_BIN"); p != "" {
		return p
	}
	p, err := exec.LookPath("prometheus")
	if err != nil {
		t.Fatalf("prometheus is not installed: run scripts/prometheus/install.sh (make test does) or set APPMESH_PROMETHEUS_BIN")
	}
	return p
}

type promServer struct {
	base string
	log  string
}

// startPrometheus runs Prometheus on a free loopback port with its own
// config and data in a temp dir, scraping the agents every second.
func startPrometheus(t *testing.T, bin string, agents []*procAgent) *promServer {
	t.Helper()
	dir := t.TempDir()
	var targets []string
	for _, a := range agents {
		targets = append(targets, strconv.Quote(fmt.Sprintf("127.0.0.1:%d", a.http)))
	}
	rules, err := filepath.Abs(filepath.Join(moduleDir, "website", "prometheus", "alerts.yml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 900ms
  evaluation_interval: 1s
rule_files: [%q]
scrape_configs:
  - job_name: appmesh
    metrics_path: /v1/metrics
    static_configs:
      - targets: [%s]
`, rules, strings.Join(targets, ", "))
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	port := freePorts(t, 1)[0]
	p := &promServer{base: fmt.Sprintf("http://127.0.0.1:%d", port), log: filepath.Join(dir, "prometheus.log")}
	logf, err := os.Create(p.log)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--config.file="+cfgPath, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		fmt.Sprintf("--web.listen-address=127.0.0.1:%d", port))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("start prometheus: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		logf.Close()
		if t.Failed() {
			b, _ := os.ReadFile(p.log)
			t.Logf("prometheus log:\n%s", tail(string(b), 40))
		}
	})
	p.waitFor(t, "prometheus ready", func() error {
		resp, err := http.Get(p.base + "/-/ready")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	})
	return p
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

type promResult struct {
	Metric map[string]string `json:"metric"`
	Value  []any             `json:"value"`
	Values [][]any           `json:"values"`
}

func (p *promServer) api(t *testing.T, path string, out any) error {
	t.Helper()
	resp, err := http.Get(p.base + path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var body struct {
		Status string          `json:"status"`
		Error  string          `json:"error"`
		Data   json.RawMessage `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return fmt.Errorf("decode %s: %w", path, err)
	}
	if body.Status != "success" {
		return fmt.Errorf("%s: %s", path, body.Error)
	}
	return json.Unmarshal(body.Data, out)
}

// query runs an instant query and returns its series.
func (p *promServer) query(t *testing.T, q string) []promResult {
	t.Helper()
	var data struct {
		Result []promResult `json:"result"`
	}
	if err := p.api(t, "/api/v1/query?query="+url.QueryEscape(q), &data); err != nil {
		t.Fatalf("query %s: %v", q, err)
	}
	return data.Result
}

// value runs an instant query that must give one series and returns it.
func (p *promServer) value(t *testing.T, q string) float64 {
	t.Helper()
	res := p.query(t, q)
	if len(res) != 1 || len(res[0].Value) != 2 {
		t.Fatalf("query %s: want one value, got %+v", q, res)
	}
	v, err := strconv.ParseFloat(fmt.Sprint(res[0].Value[1]), 64)
	if err != nil {
		t.Fatalf("query %s: %v", q, err)
	}
	return v
}

// sampleTimes returns the sample times of a range query over one series.
func (p *promServer) sampleTimes(t *testing.T, q string) []time.Time {
	t.Helper()
	var out []time.Time
	for _, r := range p.query(t, q) {
		for _, v := range r.Values {
			if f, ok := v[0].(float64); ok {
				out = append(out, time.Unix(0, int64(f*1e9)))
			}
		}
	}
	return out
}

func (p *promServer) ruleNames(t *testing.T) string {
	t.Helper()
	var data any
	if err := p.api(t, "/api/v1/rules", &data); err != nil {
		t.Fatalf("rules: %v", err)
	}
	b, _ := json.Marshal(data)
	return string(b)
}

func (p *promServer) waitFor(t *testing.T, what string, cond func() error) {
	t.Helper()
	waitFor(t, 2*waitTimeout, what, cond, func() string {
		b, _ := os.ReadFile(p.log)
		return "prometheus log:\n" + tail(string(b), 20)
	})
}

// waitValue waits until an instant query gives want.
func (p *promServer) waitValue(t *testing.T, what, q string, want float64) {
	t.Helper()
	p.waitFor(t, what, func() error {
		res := p.query(t, q)
		if len(res) != 1 || len(res[0].Value) != 2 {
			return fmt.Errorf("%s: %d series", q, len(res))
		}
		if got := fmt.Sprint(res[0].Value[1]); got != strconv.FormatFloat(want, 'f', -1, 64) {
			return fmt.Errorf("%s = %s, want %v", q, got, want)
		}
		return nil
	})
}

// countBetween counts the times strictly after from and before to.
func countBetween(times []time.Time, from, to time.Time) int {
	n := 0
	for _, ts := range times {
		if ts.After(from) && ts.Before(to) {
			n++
		}
	}
	return n
}

func nodesOf(allocs []alloc) []string {
	seen := map[string]bool{}
	var out []string
	for _, a := range allocs {
		if !seen[a.NodeName] {
			seen[a.NodeName] = true
			out = append(out, a.NodeName)
		}
	}
	return out
}

func clientInstance(clients []*procAgent, node string) string {
	for _, c := range clients {
		if c.name == node {
			return fmt.Sprintf("127.0.0.1:%d", c.http)
		}
	}
	return ""
}

// taskTimes returns the latest started_at (or, with finished, the latest
// finished_at) of the job's task "t" on node.
func taskTimes(t *testing.T, api *apiClient, job, node string, finished bool) time.Time {
	t.Helper()
	var as []struct {
		NodeName   string `json:"node_name"`
		TaskStates map[string]struct {
			StartedAt  int64 `json:"started_at"`
			FinishedAt int64 `json:"finished_at"`
		} `json:"task_states"`
	}
	if err := api.get("/v1/job/"+job+"/allocations", &as); err != nil {
		t.Fatalf("allocations of %s: %v", job, err)
	}
	var latest int64
	for _, a := range as {
		if a.NodeName != node {
			continue
		}
		ts := a.TaskStates["t"].StartedAt
		if finished {
			ts = a.TaskStates["t"].FinishedAt
		}
		latest = max(latest, ts)
	}
	if latest == 0 {
		t.Fatalf("no task time (finished=%v) for %s on %s", finished, job, node)
	}
	return time.Unix(0, latest)
}

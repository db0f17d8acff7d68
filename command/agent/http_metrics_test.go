package agent

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/metrics"
)

// promtoolBin finds promtool: APPMESH_PROMTOOL_BIN (set by make test after
// scripts/prometheus/install.sh), else PATH.
func promtoolBin(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("APPMESH_PROMTOOL_BIN"); p != "" {
		return p
	}
	p, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatalf("promtool is not installed: run scripts/prometheus/install.sh (make test does) or set APPMESH_PROMTOOL_BIN")
	}
	return p
}

func getBody(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestMetricsEndpoint scrapes a real dev agent running a job: the server,
// client and HTTP series are there with their values, labels are route
// templates and task names (never an ID), and promtool finds nothing
// wrong with the exposition.
func TestMetricsEndpoint(t *testing.T) {
	a, c := startTestAgent(t, "metrics-node")
	allocID := runSleepJob(t, c, "metered", "metrics-node")
	base := "http://" + a.HTTPAddr()
	getBody(t, base+"/v1/allocation/"+allocID) // a route with an ID in its path

	want := []string{
		`appmesh_raft_state{state="leader"} 1`,
		`appmesh_raft_has_leader 1`,
		`appmesh_fsm_apply_seconds_count{type="job_register"}`,
		`appmesh_raft_apply_seconds_count{type="job_register"}`,
		`appmesh_nodes{status="ready"} 1`,
		`appmesh_jobs{status="running"} 1`,
		`appmesh_allocations{client_status="running"} 1`,
		`appmesh_eval_broker_evals{state="blocked"} 0`,
		`appmesh_plan_queue_depth 0`,
		`appmesh_scheduler_placements_total{job_type="service"}`,
		`appmesh_scheduler_eval_seconds_count{job_type="service"}`,
		`appmesh_plan_apply_seconds_count`,
		`appmesh_client_allocations{client_status="running"} 1`,
		`appmesh_client_task_starts_total{group="g",job="metered",namespace="default",task="t"} 1`,
		`appmesh_client_task_memory_bytes{group="g",job="metered",namespace="default",task="t"}`,
		`appmesh_client_task_cpu_seconds_total{group="g",job="metered",namespace="default",task="t"}`,
		`appmesh_client_task_open_fds{group="g",job="metered",namespace="default",task="t"}`,
		`appmesh_client_driver_healthy{driver="raw_exec"} 1`,
		`appmesh_http_requests_total{code="200",method="GET",route="/v1/allocation/{id}"}`,
		`appmesh_http_request_duration_seconds_count{method="PUT",route="/v1/jobs"}`,
		`go_goroutines`,
		`process_cpu_seconds_total`,
	}
	var body string
	deadline := time.Now().Add(60 * time.Second)
	for {
		code, b := getBody(t, base+"/v1/metrics")
		if code != http.StatusOK {
			t.Fatalf("GET /v1/metrics: %d %s", code, b)
		}
		body = b
		missing := missingLines(body, want)
		if len(missing) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("metrics lack %q\n%s", missing, body)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if strings.Contains(body, allocID) {
		t.Errorf("an allocation ID appears in the metrics:\n%s", body)
	}
	// promtool reads the exposition from stdin and lints names and units.
	cmd := exec.Command(promtoolBin(t), "check", "metrics")
	cmd.Stdin = strings.NewReader(body)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("promtool check metrics: %v\n%s", err, out)
	}

	code, js := getBody(t, base+"/v1/metrics?format=json")
	var families []metricFamilyJSON
	if code != http.StatusOK || json.Unmarshal([]byte(js), &families) != nil {
		t.Fatalf("?format=json: %d %s", code, js)
	}
	found := false
	for _, f := range families {
		if f.Name == "appmesh_nodes" && f.Type == "gauge" {
			for _, m := range f.Metrics {
				found = found || (m.Labels["status"] == "ready" && m.Value != nil && *m.Value == 1)
			}
		}
	}
	if !found {
		t.Errorf("?format=json has no appmesh_nodes{status=ready} = 1: %s", js)
	}
	if code, out := getBody(t, base+"/v1/metrics?format=xml"); code != http.StatusBadRequest || !strings.Contains(out, "format=json") {
		t.Errorf("?format=xml: %d %s, want 400 naming the formats", code, out)
	}
}

// missingLines returns the wanted prefixes no line of the exposition
// starts with.
func missingLines(body string, want []string) []string {
	var missing []string
	for _, w := range want {
		ok := false
		for _, line := range strings.Split(body, "\n") {
			if strings.HasPrefix(line, w) {
				ok = true
				break
			}
		}
		if !ok {
			missing = append(missing, w)
		}
	}
	return missing
}

// TestExampleAlertsAndDashboard checks website/'s alert rules with promtool
// and that they and the Grafana dashboard name only metrics an agent
// exports.
func TestExampleAlertsAndDashboard(t *testing.T) {
	a, _ := startTestAgent(t, "metrics-names")
	known := metrics.DescribedNames(a.server.MetricsCollector(), a.client.MetricsCollector())
	if !known["appmesh_client_task_memory_bytes"] || !known["appmesh_raft_apply_seconds"] {
		t.Fatalf("described names lack the basics: %v", known)
	}
	rules := filepath.Join("..", "..", "website", "prometheus", "alerts.yml")
	if out, err := exec.Command(promtoolBin(t), "check", "rules", rules).CombinedOutput(); err != nil {
		t.Fatalf("promtool check rules %s: %v\n%s", rules, err, out)
	}
	ruleText, err := os.ReadFile(rules)
	if err != nil {
		t.Fatal(err)
	}
	dashText, err := os.ReadFile(filepath.Join("..", "..", "website", "grafana", "appmesh.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(dashText, &dash); err != nil || len(dash.Panels) == 0 {
		t.Fatalf("website/grafana/appmesh.json is not a dashboard: %v", err)
	}
	exprs := []string{string(ruleText)}
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			exprs = append(exprs, tg.Expr)
		}
	}
	name := regexp.MustCompile(`appmesh_[a-z_]+`)
	for _, e := range exprs {
		for _, n := range name.FindAllString(e, -1) {
			base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(n, "_bucket"), "_count"), "_sum")
			if !known[n] && !known[base] {
				t.Errorf("%q names %s, which no agent exports", e, n)
			}
		}
	}
}

package agent

import (
	"net/http"
	"strings"
	"testing"
)

// amResourceKeys are the keys of App Mesh's host report (appc resource).
var amResourceKeys = []string{"appmesh_start_time", "cpu_cores", "cpu_processors", "cpu_sockets", "fd", "fs",
	"host_description", "host_name", "load", "mem_applications", "mem_freeSwap_bytes", "mem_free_bytes",
	"mem_totalSwap_bytes", "mem_total_bytes", "net", "pid", "systime"}

// TestAppMeshHost reads the host report and the metrics through App
// Mesh's API on a real dev agent.
func TestAppMeshHost(t *testing.T) {
	a, _ := startTestAgent(t, "am-host")
	c := amClient{t: t, base: "http://" + a.HTTPAddr()}
	res := wantKeys(t, "resources", c.want(http.StatusOK, "GET", "/appmesh/resources", "").body, amResourceKeys...)
	if n, _ := res["cpu_processors"].(float64); n < 1 {
		t.Errorf("cpu_processors %v", res["cpu_processors"])
	}
	if n, _ := res["mem_total_bytes"].(float64); n <= 0 {
		t.Errorf("mem_total_bytes %v", res["mem_total_bytes"])
	}
	load, _ := res["load"].(map[string]any)
	for _, k := range []string{"1min", "5min", "15min"} {
		if _, ok := load[k]; !ok {
			t.Errorf("load lacks %s: %v", k, res["load"])
		}
	}
	if fs, _ := res["fs"].([]any); len(fs) > 0 {
		d, _ := fs[0].(map[string]any)
		for _, k := range []string{"device", "mount_point", "size", "used", "usage"} {
			if _, ok := d[k]; !ok {
				t.Errorf("fs entry lacks %s: %v", k, d)
			}
		}
	}
	r := c.want(http.StatusOK, "GET", "/appmesh/metrics", "")
	if !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") || !strings.Contains(r.body, "# TYPE ") {
		t.Errorf("metrics: %s %.200s", r.header.Get("Content-Type"), r.body)
	}
}

package agent

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
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

// TestAppMeshResourcesMemApplications: mem_applications is 0 on a node
// with no tasks, the RSS of an application's processes while it runs (the
// VmRSS of every process in its process group, read from /proc: the
// command may run under a shell), and 0 again once it is deleted.
func TestAppMeshResourcesMemApplications(t *testing.T) {
	a, _ := startTestAgent(t, "am-mem")
	c := amClient{t: t, base: "http://" + a.HTTPAddr()}
	memApps := func() float64 {
		var res map[string]any
		_ = json.Unmarshal([]byte(c.want(http.StatusOK, "GET", "/appmesh/resources", "").body), &res)
		n, ok := res["mem_applications"].(float64)
		if !ok {
			t.Fatalf("mem_applications %v (%T), want a number", res["mem_applications"], res["mem_applications"])
		}
		return n
	}
	if n := memApps(); n != 0 {
		t.Errorf("mem_applications %v with no task", n)
	}
	c.want(http.StatusOK, "PUT", "/appmesh/app/mem", `{"command":"sleep 127.34"}`)
	var pid string
	amWaitFor(t, 60*time.Second, func() (bool, string) {
		pid = amFindProc(t, "sleep", "127.34")
		return pid != "", "no sleep 127.34 process"
	})
	amWaitFor(t, 30*time.Second, func() (bool, string) {
		rss := amGroupRSS(t, pid)
		n := memApps()
		return rss > 0 && n >= rss/2 && n <= rss*2, fmt.Sprintf("mem_applications %v, RSS of the process group of %s %v", n, pid, rss)
	})
	c.want(http.StatusOK, "DELETE", "/appmesh/app/mem", "")
	amWaitFor(t, 60*time.Second, func() (bool, string) {
		n := memApps()
		return n == 0, fmt.Sprintf("mem_applications %v after delete", n)
	})
}

// amGroupRSS is the VmRSS in bytes of every live process in pid's process
// group (what raw_exec's stats sum).
func amGroupRSS(t *testing.T, pid string) float64 {
	t.Helper()
	pgrp := amProcPgrp(pid)
	if pgrp == "" {
		t.Fatalf("no process group for %s", pid)
	}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatalf("list /proc: %v", err)
	}
	var sum float64
	for _, e := range ents {
		if name := e.Name(); name[0] >= '0' && name[0] <= '9' && amProcPgrp(name) == pgrp {
			rss, _ := amProcRSS(name) // a member that just exited counts 0
			sum += rss
		}
	}
	return sum
}

// amProcPgrp is the process group of pid from /proc/<pid>/stat ("" when
// it is gone). The fields after the command name, which may hold spaces,
// start with the state; the group is the third.
func amProcPgrp(pid string) string {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return ""
	}
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return ""
	}
	f := strings.Fields(string(b)[i+1:])
	if len(f) < 3 {
		return ""
	}
	return f[2]
}

// amProcRSS is a process's VmRSS in bytes; ok is false when the process
// is gone (or has no memory of its own, as a zombie).
func amProcRSS(pid string) (rss float64, ok bool) {
	b, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, err := strconv.ParseFloat(f[1], 64)
			return kb * 1024, err == nil
		}
	}
	return 0, false
}

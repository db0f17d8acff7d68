package taskrunner

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
)

func checkStatus(s *structs.TaskState, name string) *structs.CheckStatus {
	for _, c := range s.Checks {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func listenerPort(t *testing.T, addr net.Addr) int {
	t.Helper()
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		t.Fatalf("not a TCP address: %v", addr)
	}
	return tcp.Port
}

// An http check against a server of the test: healthy while it serves,
// unhealthy once it is gone; the port is found by its label.
func TestTaskRunner_HTTPCheck(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/health" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte("all good"))
	}))
	defer srv.Close()
	tr, _ := newRunner(t, `exec sleep 600`)
	tr.alloc.AllocatedPorts = []structs.AllocatedPort{{Label: "http", Value: listenerPort(t, srv.Listener.Addr())}}
	tr.task.Checks = []*structs.Check{{Name: "web-http", Type: structs.CheckTypeHTTP, Port: "http", Path: "/health",
		Interval: structs.Duration(100 * time.Millisecond), Timeout: structs.Duration(time.Second)}}
	runAsync(t, tr)

	waitUntil(t, "healthy", func() bool { return tr.State().Health == structs.HealthHealthy })
	s := tr.State()
	c := checkStatus(s, "web-http")
	if c == nil || c.Status != structs.HealthHealthy || !strings.Contains(c.Output, "200 OK") || !strings.Contains(c.Output, "all good") || c.Time == 0 {
		t.Fatalf("want a healthy check with the response as output: %+v", c)
	}
	if h := structs.AllocHealth(map[string]*structs.TaskState{"web": s}); h == nil || !*h {
		t.Fatalf("want the allocation healthy, got %v", h)
	}
	srv.Close()
	waitUntil(t, "unhealthy", func() bool { return tr.State().Health == structs.HealthUnhealthy })
	s = tr.State()
	if c := checkStatus(s, "web-http"); c == nil || !strings.Contains(c.Output, "HTTP GET") {
		t.Fatalf("want the failed GET as output: %+v", c)
	}
	if h := structs.AllocHealth(map[string]*structs.TaskState{"web": s}); h == nil || *h {
		t.Fatalf("want the allocation unhealthy, got %v", h)
	}
}

// A tcp check by port number: healthy while something listens.
func TestTaskRunner_TCPCheck(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.Close()
		}
	}()
	port := listenerPort(t, ln.Addr())
	tr, _ := newRunner(t, `exec sleep 600`)
	tr.task.Checks = []*structs.Check{{Type: structs.CheckTypeTCP, Port: strconv.Itoa(port), Interval: structs.Duration(100 * time.Millisecond)}}
	runAsync(t, tr)
	waitUntil(t, "healthy", func() bool { return tr.State().Health == structs.HealthHealthy })
	if c := checkStatus(tr.State(), "tcp-1"); c == nil || !strings.Contains(c.Output, "Success") {
		t.Fatalf("want a tcp-1 check with Success: %+v", tr.State().Checks)
	}
	_ = ln.Close()
	waitUntil(t, "unhealthy", func() bool { return tr.State().Health == structs.HealthUnhealthy })
}

// Script checks run inside the task through the driver's exec: exit 0 is
// healthy, exit 2 unhealthy, and one unhealthy check makes the task so.
func TestTaskRunner_ScriptChecks(t *testing.T) {
	tr, _ := newRunner(t, `exec sleep 600`)
	every := structs.Duration(100 * time.Millisecond)
	tr.task.Checks = []*structs.Check{
		{Name: "ok", Type: structs.CheckTypeScript, Command: "/bin/sh", Args: []string{"-c", `echo "fine in $APPMESH_TASK_NAME"`}, Interval: every},
		{Name: "bad", Type: structs.CheckTypeScript, Command: "/bin/sh", Args: []string{"-c", "echo broken; exit 2"}, Interval: every},
	}
	runAsync(t, tr)
	waitUntil(t, "both checks ran", func() bool {
		s := tr.State()
		return len(s.Checks) == 2 && s.Checks[0].Status != "" && s.Checks[1].Status != ""
	})
	s := tr.State()
	if c := checkStatus(s, "ok"); c.Status != structs.HealthHealthy || !strings.Contains(c.Output, "fine in") {
		t.Fatalf("check ok: %+v", c)
	}
	if c := checkStatus(s, "bad"); c.Status != structs.HealthUnhealthy || !strings.Contains(c.Output, "broken") || !strings.Contains(c.Output, "exit code 2") {
		t.Fatalf("check bad: %+v", c)
	}
	if s.Health != structs.HealthUnhealthy {
		t.Fatalf("want the task unhealthy, got %q", s.Health)
	}
}

// check_restart restarts the task after limit consecutive failures.
func TestTaskRunner_CheckRestart(t *testing.T) {
	tr, _ := newRunner(t, `exec sleep 600`)
	tr.task.Checks = []*structs.Check{{Name: "alive", Type: structs.CheckTypeScript, Command: "/bin/sh", Args: []string{"-c", "exit 2"},
		Interval: structs.Duration(100 * time.Millisecond), CheckRestart: &structs.CheckRestart{Limit: 3}}}
	runAsync(t, tr)
	waitUntil(t, "a second start", func() bool { return tr.State().Starts >= 2 })
	s := tr.State()
	ev := hasEvent(s, structs.TaskEventRestarting)
	if ev == nil || !strings.Contains(ev.Message, "health check alive failed 3 times") {
		t.Fatalf("want a Restarting event naming the check: %+v", s.Events)
	}
	if hasEvent(s, structs.TaskEventKilling) == nil {
		t.Fatalf("want the task stopped normally (Killing) before the restart: %+v", s.Events)
	}
}

// Failures during grace are not counted.
func TestTaskRunner_CheckRestartGrace(t *testing.T) {
	runs := t.TempDir() + "/runs"
	tr, _ := newRunner(t, `exec sleep 600`)
	tr.task.Checks = []*structs.Check{{Name: "slow", Type: structs.CheckTypeScript, Command: "/bin/sh",
		Args:     []string{"-c", "echo x >> " + runs + "; exit 2"},
		Interval: structs.Duration(20 * time.Millisecond), CheckRestart: &structs.CheckRestart{Limit: 1, Grace: structs.Duration(time.Hour)}}}
	runAsync(t, tr)
	waitUntil(t, "5 failing runs", func() bool {
		b, _ := readFile(runs)
		return strings.Count(b, "x") >= 5
	})
	if s := tr.State(); s.Starts != 1 || s.Health != structs.HealthUnhealthy || hasEvent(s, structs.TaskEventRestarting) != nil {
		t.Fatalf("want no restart during grace: %+v", s)
	}
}

package taskrunner

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/client/consul"
	"github.com/appmesh/appmesh/client/consul/consultest"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/consul/api"
)

func putKey(t *testing.T, c *api.Client, key, value string) {
	t.Helper()
	if _, err := c.KV().Put(&api.KVPair{Key: key, Value: []byte(value)}, nil); err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
}

// Templates read a real Consul agent's keys and services; while the task
// runs, a changed key is rendered again and its change mode applied:
// restart starts the task again with the new file, signal sends the
// signal, script runs the command in the task, noop only rewrites.
func TestTaskRunner_TemplateConsulChangeModes(t *testing.T) {
	ca := consultest.Start(t)
	c := ca.API()
	putKey(t, c, "app/greeting", "one")
	putKey(t, c, "app/sig", "s1")
	putKey(t, c, "app/script", "c1")
	if err := c.Agent().ServiceRegister(&api.AgentServiceRegistration{ID: "web-1", Name: "web", Address: "10.0.0.1", Port: 8080}); err != nil {
		t.Fatal(err)
	}
	sc := consul.NewServiceClient(consul.ServiceConfig{API: c, Node: "n1"})

	tr, dir := newRunner(t, `trap 'echo "hup $(cat local/sig.txt)"' HUP
echo "start $(cat local/greeting.txt)"
while :; do sleep 0.2 & wait $!; done`)
	noSplay := structs.Duration(0)
	tr.task.Templates = []*structs.Template{
		{Data: `{{ key "app/greeting" }} {{ keyOrDefault "app/missing" "dflt" }}`, Destination: "local/greeting.txt", Splay: &noSplay},
		{Data: `{{ key "/app/sig" }}`, Destination: "local/sig.txt", ChangeMode: "signal", ChangeSignal: "SIGHUP", Splay: &noSplay},
		{Data: `{{ key "app/script" }}`, Destination: "local/script.txt", ChangeMode: "script", Splay: &noSplay,
			ChangeScript: &structs.ChangeScript{Command: "/bin/sh", Args: []string{"-c", "cp local/script.txt local/script.seen"}}},
		{Data: `{{ range service "web" }}{{ .Address }}:{{ .Port }};{{ end }}`, Destination: "local/web.txt", ChangeMode: "noop"},
		{Data: `{{ key "app/greeting" }}`, Destination: "local/once.txt", Once: true},
	}
	h := templateHookFor(tr, sc, false).(*templateHook)
	h.pollInterval = 100 * time.Millisecond
	tr.hooks = append(tr.hooks, h)
	runAsync(t, tr)

	stdout := dir.LogPath("web", "stdout")
	taskFile := func(name string) string {
		s, _ := readFile(filepath.Join(dir.TaskDir("web"), "local", name))
		return s
	}
	waitUntil(t, "the task to print the first render", func() bool {
		out, _ := readFile(stdout)
		return strings.Contains(out, "start one dflt\n")
	})
	if got := taskFile("web.txt"); got != "10.0.0.1:8080;" {
		t.Fatalf("service template = %q", got)
	}

	putKey(t, c, "app/greeting", "two")
	waitUntil(t, "a restart with the new key", func() bool {
		out, _ := readFile(stdout)
		return strings.Contains(out, "start two dflt\n")
	})
	s := tr.State()
	ev := hasEvent(s, structs.TaskEventRestarting)
	if ev == nil || !strings.Contains(ev.Message, "template local/greeting.txt re-rendered") {
		t.Fatalf("restart event = %+v", s.Events)
	}

	putKey(t, c, "app/sig", "s2")
	waitUntil(t, "the signal after the change", func() bool {
		out, _ := readFile(stdout)
		return strings.Contains(out, "hup s2\n")
	})

	putKey(t, c, "app/script", "c2")
	waitUntil(t, "the change script to run in the task", func() bool { return taskFile("script.seen") == "c2" })

	if err := c.Agent().ServiceRegister(&api.AgentServiceRegistration{ID: "web-2", Name: "web", Address: "10.0.0.2", Port: 8081}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the service template to follow the catalog", func() bool {
		return taskFile("web.txt") == "10.0.0.1:8080;10.0.0.2:8081;"
	})
	if got := taskFile("once.txt"); got != "one" {
		t.Fatalf("once template = %q, want the first render", got)
	}
	out, _ := readFile(stdout)
	if n := strings.Count(out, "start "); n != 2 {
		t.Fatalf("task started %d times, want 2 (signal, script and noop must not restart):\n%s", n, out)
	}
	if tr.State().State != structs.TaskStateRunning {
		t.Fatalf("task not running: %+v", tr.State())
	}
}

// error_on_missing_key makes a missing Consul key fail the task with the
// key's name; without it the key renders empty.
func TestTaskRunner_TemplateConsulMissingKey(t *testing.T) {
	ca := consultest.Start(t)
	sc := consul.NewServiceClient(consul.ServiceConfig{API: ca.API(), Node: "n1"})
	tr, dir := newRunner(t, `cat local/a.txt`)
	tr.task.Templates = []*structs.Template{
		{Data: `[{{ key "app/absent" }}]`, Destination: "local/a.txt"},
		{Data: `{{ key "app/absent" }}`, Destination: "local/b.txt", ErrMissingKey: true},
	}
	tr.hooks = append(tr.hooks, templateHookFor(tr, sc, false))
	runAsync(t, tr)
	waitDone(t, tr, 60*time.Second)
	s := tr.State()
	ev := hasEvent(s, structs.TaskEventTemplateFailure)
	if !s.Failed || ev == nil || !strings.Contains(ev.Message, `template local/b.txt`) ||
		!strings.Contains(ev.Message, `consul key "app/absent" does not exist (error_on_missing_key = true)`) {
		t.Fatalf("want a Template Failure naming the key, got failed=%v %+v", s.Failed, s.Events)
	}
	if got, _ := readFile(filepath.Join(dir.TaskDir("web"), "local", "a.txt")); got != "[]" {
		t.Fatalf("missing key without error_on_missing_key rendered %q, want []", got)
	}
}

// A change script that fails is a Template Change Failed event; with
// fail_on_error the task is killed. wait { min } lets the value settle
// first (here it is stable, so it is applied after min).
func TestTaskRunner_TemplateChangeScriptFails(t *testing.T) {
	ca := consultest.Start(t)
	c := ca.API()
	putKey(t, c, "app/v", "1")
	sc := consul.NewServiceClient(consul.ServiceConfig{API: c, Node: "n1"})
	tr, _ := newRunner(t, `while :; do sleep 0.2 & wait $!; done`)
	noSplay := structs.Duration(0)
	tr.task.Templates = []*structs.Template{{
		Data: `{{ key "app/v" }}`, Destination: "local/v.txt", ChangeMode: "script", Splay: &noSplay,
		Wait:         &structs.TemplateWait{Min: structs.Duration(300 * time.Millisecond), Max: structs.Duration(2 * time.Second)},
		ChangeScript: &structs.ChangeScript{Command: "/bin/sh", Args: []string{"-c", "exit 3"}, FailOnError: true},
	}}
	h := templateHookFor(tr, sc, false).(*templateHook)
	h.pollInterval = 100 * time.Millisecond
	tr.hooks = append(tr.hooks, h)
	runAsync(t, tr)
	waitUntil(t, "the task to run", func() bool { return tr.State().State == structs.TaskStateRunning })
	putKey(t, c, "app/v", "2")
	waitDone(t, tr, 60*time.Second)
	s := tr.State()
	ev := hasEvent(s, structs.TaskEventTemplateChangeFailed)
	if ev == nil || !strings.Contains(ev.Message, "change script of template local/v.txt failed: exit code 3") {
		t.Fatalf("want a Template Change Failed event, got %+v", s.Events)
	}
	if k := hasEvent(s, structs.TaskEventKilled); k == nil {
		t.Fatalf("fail_on_error did not kill the task: %+v", s.Events)
	}
}

// wait { min } lets a changing value settle: two changes 300ms apart,
// within min, are applied once, with the last value.
func TestTaskRunner_TemplateWaitSettles(t *testing.T) {
	ca := consultest.Start(t)
	c := ca.API()
	putKey(t, c, "app/w", "1")
	sc := consul.NewServiceClient(consul.ServiceConfig{API: c, Node: "n1"})
	tr, dir := newRunner(t, `while :; do sleep 0.2 & wait $!; done`)
	tr.task.Templates = []*structs.Template{{
		Data: `{{ key "app/w" }}`, Destination: "local/w.txt", ChangeMode: "noop",
		Wait: &structs.TemplateWait{Min: structs.Duration(3 * time.Second)},
	}}
	h := templateHookFor(tr, sc, false).(*templateHook)
	h.pollInterval = 100 * time.Millisecond
	tr.hooks = append(tr.hooks, h)
	runAsync(t, tr)
	waitUntil(t, "the task to run", func() bool { return tr.State().State == structs.TaskStateRunning })
	putKey(t, c, "app/w", "2")
	time.Sleep(300 * time.Millisecond) // a second change while the first settles
	putKey(t, c, "app/w", "3")
	path := filepath.Join(dir.TaskDir("web"), "local", "w.txt")
	waitUntil(t, "the settled value in the file", func() bool {
		s, _ := readFile(path)
		return s == "3"
	})
	n := 0
	for _, e := range tr.State().Events {
		if e.Type == structs.TaskEventTemplateRendered {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d re-renders applied, want 1 (the settled value): %+v", n, tr.State().Events)
	}
}

package server

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/appmesh/appmesh/structs"
)

// appMeshSample is App Mesh's documented cluster task (its Consul page),
// with the two replicas of its key/value overview.
const appMeshSample = `{
    "replication": 2,
    "port": 6666,
    "content": {
        "name": "myapp",
        "command": "sleep 30"
    },
    "condition": {
        "arch": "x86_64",
        "os_version": "centos7.6"
    }
}`

// constraintsOf indexes a group's constraints by attribute.
func constraintsOf(g *structs.TaskGroup) map[string]*structs.Constraint {
	out := map[string]*structs.Constraint{}
	for _, c := range g.Constraints {
		out[c.Attribute] = c
	}
	return out
}

// App Mesh's sample becomes a valid job: two copies on distinct hosts whose
// labels match, a static port, a Consul service with an HTTP check, run
// unprivileged.
func TestAppMeshTaskSample(t *testing.T) {
	job, err := consulTaskJob("myapp", []byte(appMeshSample))
	if err != nil {
		t.Fatal(err)
	}
	if err := checkUnprivileged(job); err != nil {
		t.Fatalf("the sample is refused: %v", err)
	}
	job.Canonicalize()
	if err := job.Validate(); err != nil {
		t.Fatalf("job does not validate: %v", err)
	}
	g := job.Groups[0]
	task := g.Tasks[0]
	if job.ID != "myapp" || g.Count != 2 || task.Driver != structs.DriverExec || task.User != ConsulTaskDefaultUser {
		t.Fatalf("job %s count %d driver %s user %s", job.ID, g.Count, task.Driver, task.User)
	}
	if cmd, args := task.Config["command"], task.Config["args"].([]any); cmd != "sleep" || len(args) != 1 || args[0] != "30" {
		t.Fatalf("command %v %v", cmd, args)
	}
	if job.Priority != structs.DefaultPriority {
		t.Fatalf("priority 0 must be appmesh's default, got %d", job.Priority)
	}
	cs := constraintsOf(g)
	if c := cs["${meta.arch}"]; c == nil || c.Operator != "=" || c.Value != "x86_64" {
		t.Fatalf("arch constraint %+v", c)
	}
	if c := cs["${meta.os_version}"]; c == nil || c.Operator != "=" || c.Value != "centos7.6" {
		t.Fatalf("os_version constraint %+v", c)
	}
	if c := cs[""]; c == nil || c.Operator != structs.ConstraintDistinctHosts {
		t.Fatalf("no distinct_hosts constraint: %+v", g.Constraints)
	}
	if g.Network == nil || len(g.Network.Ports) != 1 || g.Network.Ports[0].Static != 6666 || g.Network.Ports[0].Label != "http" {
		t.Fatalf("network %+v", g.Network)
	}
	if len(g.Services) != 1 {
		t.Fatalf("services %+v", g.Services)
	}
	svc := g.Services[0]
	if svc.Name != "myapp" || svc.Port != "http" || len(svc.Checks) != 1 || svc.Checks[0].Type != "http" || svc.Checks[0].Path != "/" {
		t.Fatalf("service %+v check %+v", svc, svc.Checks)
	}
}

// Every field of App Mesh's task maps onto the job.
func TestAppMeshTaskFields(t *testing.T) {
	v := `{"replication": 3, "priority": 10, "port": 0, "memoryMB": 128,
	  "content": {"name": "web", "command": "exec ./srv --port 8080", "shell": true, "working_dir": "/srv",
	    "env": {"MODE": "prod"}, "behavior": {"exit": "restart"}, "health_check_cmd": "curl -sf localhost:8080",
	    "description": "d", "status": 1, "pid": 77, "metadata": null},
	  "condition": {"HOST_NAME": "node-?", "rack": "r[1]*"}}`
	job, err := consulTaskJob("web", []byte(v))
	if err != nil {
		t.Fatal(err)
	}
	job.Canonicalize()
	if err := job.Validate(); err != nil {
		t.Fatalf("job does not validate: %v", err)
	}
	g, task := job.Groups[0], job.Groups[0].Tasks[0]
	if job.Type != structs.JobTypeService || g.Count != 3 || job.Priority != 60 || task.Resources.MemoryMB != 128 {
		t.Fatalf("type %s count %d priority %d memory %d", job.Type, g.Count, job.Priority, task.Resources.MemoryMB)
	}
	if task.Config["command"] != "/bin/sh" || task.Config["work_dir"] != "/srv" || task.Env["MODE"] != "prod" {
		t.Fatalf("task config %v env %v", task.Config, task.Env)
	}
	if g.Network != nil || len(g.Services) != 0 {
		t.Fatalf("port 0 must mean no port and no service: %+v %+v", g.Network, g.Services)
	}
	cs := constraintsOf(g)
	host := cs["${node.unique.name}"]
	if host == nil || host.Operator != structs.ConstraintRegex || host.Value != `^node-.$` {
		t.Fatalf("HOST_NAME must become a node name constraint: %+v", host)
	}
	rack := cs["${meta.rack}"]
	if rack == nil || rack.Operator != structs.ConstraintRegex || rack.Value != `^r\[1\].*$` {
		t.Fatalf("rack constraint %+v", rack)
	}
	// health_check_cmd is the service's check when there is a port.
	withPort := strings.Replace(v, `"port": 0`, `"port": 8080`, 1)
	job, err = consulTaskJob("web", []byte(withPort))
	if err != nil {
		t.Fatal(err)
	}
	c := job.Groups[0].Services[0].Checks[0]
	if c.Type != structs.CheckTypeScript || c.Command != "/bin/sh" || len(c.Args) != 2 || c.Args[1] != "curl -sf localhost:8080" || c.Task != "app" {
		t.Fatalf("check %+v", c)
	}
	job.Canonicalize()
	if err := job.Validate(); err != nil {
		t.Fatalf("job with a script check does not validate: %v", err)
	}
	// A disabled application (status 0) runs no copy.
	off := strings.Replace(v, `"status": 1`, `"status": 0`, 1)
	if job, err = consulTaskJob("web", []byte(off)); err != nil || job.Groups[0].Count != 0 {
		t.Fatalf("status 0: %v, count %d", err, job.Groups[0].Count)
	}
}

// Invalid values are refused with a reason that names the problem; none
// becomes a job, and none runs an empty command.
func TestAppMeshTaskInvalid(t *testing.T) {
	for _, c := range []struct{ name, value, want string }{
		// App Mesh's own sample in some versions of its docs: no command.
		{"myapp", `{"replication": 2, "port": 8085, "content": {"name": "myapp"}}`, `field "command" is required`},
		{"myapp", `{"replication": 1, "content": {"name": "myapp", "command": "   "}}`, `field "command" is required`},
		{"myapp", `{"port": 1, "content": {"command": "sleep 1"}}`, `"replication" is required`},
		{"myapp", `{"replication": -1, "content": {"command": "sleep 1"}}`, `"replication" is -1`},
		{"myapp", `{"replication": 1.5, "content": {"command": "sleep 1"}}`, `replication`},
		{"myapp", `{"replication": "2", "content": {"command": "sleep 1"}}`, `replication`},
		{"myapp", `{"replication": 1, "port": 70000, "content": {"command": "sleep 1"}}`, `"port" is 70000`},
		{"myapp", `{"replication": 1, "memoryMB": -5, "content": {"command": "sleep 1"}}`, `"memoryMB" is -5`},
		{"myapp", `{"replication": 1, "priority": 51, "content": {"command": "sleep 1"}}`, `"priority" is 51`},
		{"myapp", `{"replication": 1, "priority": -50, "content": {"command": "sleep 1"}}`, `"priority" is -50`},
		{"myapp", `{"replication": 1, "content": "sleep 1"}`, `"content" must be an App Mesh application object`},
		{"myapp", `{"replication": 1, "content": null}`, `"content" must be an App Mesh application object`},
		{"myapp", `{"replication": 1, "content": {"command": "sleep 1"}, "conditon": {}}`, `unknown field "conditon"`},
		{"myapp", `{"replication": 1, "content": {"command": "sleep 1"}, "condition": {"arch": 64}}`, `condition`},
		{"myapp", `{"replication": 1, "content": {"command": "sleep 1"}, "condition": {"a}": "x"}}`, `condition key "a}"`},
		{"myapp", `{"replication": 1, "content": {"command": "sleep 1"}, "condition": {"": "x"}}`, `condition key ""`},
		{"myapp", `{"replication": 1, "content": {"name": "other", "command": "sleep 1"}}`, `does not match the key's name`},
		{"myapp", `{"replication": 1, "content": {"command": "sleep 1", "docker_image": "nginx"}}`, `docker applications are not supported`},
		{"myapp", `{"replication": 1, "content": {"command": "sleep 1", "replication": 3}}`, `belong at the task's top level`},
		{"myapp", `{"replication": 1, "content": {"command": "sleep 1", "condition": {"a": "b"}}}`, `belong at the task's top level`},
		{"myapp", `{"replication": 1, "content": {"command": "sleep 1", "cron": "* * * * *"}}`, `cron`},
		{"myapp", `{"replication": 1, "content": {"command": "sleep 1"}} {}`, `after top-level value`},
		// Native values: no empty command either, and App Mesh's fields
		// without content are App Mesh's format missing its application.
		{"myapp", `{"replication": 2}`, `"command" is missing or empty`},
		{"myapp", `{"replication": 1, "port": 6666, "condition": {"arch": "x86_64"}}`, `App Mesh's field "condition" but no "content"`},
		{"myapp", `[1, 2]`, `must be a JSON object`},
		{"myapp", `null`, `must be a JSON object`},
	} {
		job, err := consulTaskJob(c.name, []byte(c.value))
		if err == nil {
			t.Errorf("%s: accepted (job %+v), want an error saying %q", c.value, job, c.want)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %q does not say %q", c.value, err, c.want)
		}
	}
}

// The format is told per key by "content".
func TestConsulTaskFormatDetection(t *testing.T) {
	if consulTaskFormat([]byte(appMeshSample)) != KVFormatAppMesh {
		t.Fatal("App Mesh's sample not detected")
	}
	if consulTaskFormat([]byte(`{"command": "sleep 1", "replication": 2}`)) != KVFormatNative {
		t.Fatal("a native value taken for App Mesh's")
	}
	native, err := consulTaskJob("n", []byte(`{"command": "sleep 1", "replication": 2, "node_selector": {"rack": "r1"}}`))
	if err != nil || native.Groups[0].Count != 2 || native.Groups[0].Tasks[0].Name != "n" {
		t.Fatalf("native value: %v %+v", err, native)
	}
}

// With kv_format = "appmesh" a node's topology key is App Mesh's list of
// the Consul tasks placed there; nodes with none have no key. The native
// shape keeps every allocation.
func TestTopologyValuesAppMesh(t *testing.T) {
	topo := map[string]*Topology{
		"n1": {Node: "n1", NodeID: "id1", Applications: []*TopologyApp{
			{Job: "web", AllocID: "a2", fromConsul: true, created: 2_000_000_000},
			{Job: "web", AllocID: "a1", fromConsul: true, created: 1_000_000_000},
			{Job: "api", AllocID: "a3", fromConsul: false, created: 1},
			{Job: "db", AllocID: "a4", fromConsul: true, created: 3_000_000_000},
		}},
		"n2": {Node: "n2", NodeID: "id2", Applications: []*TopologyApp{{Job: "api", AllocID: "a5"}}},
		"n3": {Node: "n3", NodeID: "id3", Applications: []*TopologyApp{}},
	}
	got, err := topologyValues("appmesh/topology/", KVFormatAppMesh, topo)
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"app":"db","schedule_time":"1970-01-01T00:00:03Z"},{"app":"web","schedule_time":"1970-01-01T00:00:01Z"}]`
	if len(got) != 1 || string(got["appmesh/topology/n1"]) != want {
		t.Fatalf("App Mesh topology:\n got  %q\n want only n1 = %s", got, want)
	}
	native, err := topologyValues("appmesh/topology/", KVFormatNative, topo)
	if err != nil {
		t.Fatal(err)
	}
	if len(native) != 2 || !strings.Contains(string(native["appmesh/topology/n2"]), `"job":"api"`) {
		t.Fatalf("native topology %q", native)
	}
}

// Against a real Consul: App Mesh's sample without a command runs nothing
// and its reason shows under tasks-status/; fixed, it becomes the job and
// the status goes; broken again, the job keeps running and the status
// comes back; deleted, the job stops and the status goes.
func TestConsulTasks_AppMeshFormatStatus(t *testing.T) {
	prefix := "appmesh-am"
	s, _, kv := consulTaskServer(t, prefix)
	statusKey := prefix + "/cluster/tasks-status/myapp"
	status := func() *ConsulTaskStatus {
		p, _, err := kv.Get(statusKey, nil)
		if err != nil || p == nil {
			return nil
		}
		var st ConsulTaskStatus
		if err := json.Unmarshal(p.Value, &st); err != nil {
			t.Fatalf("status %s: %v", p.Value, err)
		}
		return &st
	}
	noCommand := `{"replication": 2, "port": 8085, "content": {"name": "myapp"}}`
	putTask(t, kv, prefix, "myapp", noCommand)
	waitFor(t, "a status saying the command is missing", func() bool {
		st := status()
		return st != nil && strings.Contains(st.Error, `field "command" is required`) && st.Key == prefix+"/cluster/tasks/myapp"
	})
	if j, _ := s.State().JobByID(nil, structs.DefaultNamespace, "myapp"); j != nil {
		t.Fatalf("a job was registered for a task without a command: %+v", j)
	}

	putTask(t, kv, prefix, "myapp", appMeshSample)
	waitFor(t, "job myapp from App Mesh's sample", func() bool {
		j := liveJob(t, s, "myapp")
		return j != nil && j.Groups[0].Count == 2
	})
	waitFor(t, "status key gone", func() bool { return status() == nil })

	putTask(t, kv, prefix, "myapp", noCommand)
	waitFor(t, "the status back", func() bool { st := status(); return st != nil && strings.Contains(st.Error, "keeping the job") })
	if j := liveJob(t, s, "myapp"); j == nil || j.Groups[0].Count != 2 {
		t.Fatal("an invalid value stopped the job of the previous good one")
	}

	if _, err := kv.Delete(prefix+"/cluster/tasks/myapp", nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "job stopped and status gone", func() bool { return liveJob(t, s, "myapp") == nil && status() == nil })
}

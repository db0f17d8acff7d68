package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/appmesh/appmesh/appmeshapi"
	"github.com/appmesh/appmesh/structs"
)

// AppMeshTask is a cluster application in App Mesh's own format, the value
// of <kv_prefix>/cluster/tasks/<app> as App Mesh documents it:
//
//	{"replication": 2, "priority": 0, "port": 6666, "memoryMB": 64,
//	 "content": {"name": "myapp", "command": "sleep 30"},
//	 "condition": {"arch": "x86_64", "os_version": "centos*"}}
//
// A key is in this format when its JSON object has "content"
// (isAppMeshTask); anything else is appmesh's own ConsulTask.
type AppMeshTask struct {
	// Replication is how many copies run, each on its own node (App Mesh
	// never places two copies of a task on one host). Required, as App
	// Mesh ignores a task without it.
	Replication *int `json:"replication"`
	// Priority is App Mesh's priority, 0 by default; see appMeshPriority.
	Priority int `json:"priority"`
	// Port, when set, is the application's static port; it is registered
	// as a Consul service named after the application.
	Port int `json:"port"`
	// MemoryMB is the memory the application is placed with.
	MemoryMB int `json:"memoryMB"`
	// Content is an App Mesh application (appmeshapi.ParseAppWith).
	Content json.RawMessage `json:"content"`
	// Condition selects the nodes: every key is a node label (appmesh node
	// meta) whose value must match; see conditionConstraint.
	Condition map[string]string `json:"condition"`
}

// App Mesh's priority is an integer, 0 by default, higher first. appmesh's
// job priority is 1..100 with 50 by default, so App Mesh's p becomes 50+p
// and only -49..50 fit; anything else is refused, not clamped, so that two
// tasks never end up equal by accident.
const (
	appMeshPriorityMin = structs.MinPriority - structs.DefaultPriority
	appMeshPriorityMax = structs.MaxPriority - structs.DefaultPriority
)

// AppMeshHostNameLabel is App Mesh's built-in label holding the host name:
// a condition on it is a condition on the node's name.
const AppMeshHostNameLabel = appmeshapi.HostNameLabel

// appMeshCheckInterval is how often a task's service is checked (App Mesh
// checks its applications' health every 10 seconds).
const appMeshCheckInterval = 10 * time.Second

// AppMeshServicePort is the port label of an App Mesh task's port.
const AppMeshServicePort = "http"

// serviceName is a name Consul accepts as a DNS label.
var serviceName = regexp.MustCompile(`^[a-zA-Z0-9]([a-zA-Z0-9\-]{0,62}[a-zA-Z0-9])?$`)

// isAppMeshTask reports whether a key's value is in App Mesh's format: a
// JSON object with a "content" member.
func isAppMeshTask(value []byte) bool {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(value, &top); err != nil {
		return false
	}
	_, ok := top["content"]
	return ok
}

// appMeshOnlyFields are App Mesh's top-level fields that appmesh's own
// format does not have: a value with one of them but without "content" is
// an App Mesh task missing its application, not a native task.
var appMeshOnlyFields = []string{"condition", "memoryMB", "priority"}

// DecodeAppMeshTask decodes a value in App Mesh's format strictly: unknown
// fields, wrong types and out-of-range numbers are errors that say which
// field and why.
func DecodeAppMeshTask(value []byte) (*AppMeshTask, error) {
	dec := json.NewDecoder(bytes.NewReader(value))
	dec.DisallowUnknownFields()
	var t AppMeshTask
	if err := dec.Decode(&t); err != nil {
		return nil, fmt.Errorf("App Mesh task JSON: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("App Mesh task JSON: data after the object")
	}
	switch {
	case t.Replication == nil:
		return nil, fmt.Errorf("App Mesh task: field \"replication\" is required")
	case *t.Replication < 0:
		return nil, fmt.Errorf("App Mesh task: field \"replication\" is %d, must be 0 or more", *t.Replication)
	case t.Port < 0 || t.Port > 65535:
		return nil, fmt.Errorf("App Mesh task: field \"port\" is %d, must be 0 (no service) to 65535", t.Port)
	case t.MemoryMB < 0:
		return nil, fmt.Errorf("App Mesh task: field \"memoryMB\" is %d, must be 0 or more", t.MemoryMB)
	case t.Priority < appMeshPriorityMin || t.Priority > appMeshPriorityMax:
		return nil, fmt.Errorf("App Mesh task: field \"priority\" is %d, must be %d to %d (appmesh job priority 50+priority, 1 to 100)",
			t.Priority, appMeshPriorityMin, appMeshPriorityMax)
	}
	c := bytes.TrimSpace(t.Content)
	if len(c) == 0 || c[0] != '{' {
		return nil, fmt.Errorf("App Mesh task: field \"content\" must be an App Mesh application object, got %.40s", c)
	}
	if err := appmeshapi.CheckCondition(t.Condition); err != nil {
		return nil, fmt.Errorf("App Mesh task: %w", err)
	}
	return &t, nil
}

// Job maps the task onto the job named name (the key's last segment). The
// application in content goes through the same mapping as /appmesh/app
// (appmeshapi), run by the exec driver as ConsulTaskDefaultUser: whoever
// writes the KV prefix gets no more than an unprivileged isolated task.
func (t *AppMeshTask) Job(name string) (*structs.Job, error) {
	app, err := appmeshapi.ParseAppWith(t.Content, name, appmeshapi.ParseOptions{NameSource: "the key's name"})
	if err != nil {
		return nil, fmt.Errorf("App Mesh task: field \"content\": %w", err)
	}
	if app.IsCluster() {
		return nil, fmt.Errorf("App Mesh task: field \"content\": condition and replication belong at the task's top level, not in its application")
	}
	if app.Task.DockerImage != "" {
		// Whoever may write the KV prefix gets an unprivileged isolated
		// task, not the Docker engine.
		return nil, fmt.Errorf("App Mesh task: field \"content\": field \"docker_image\": docker applications are not supported in cluster tasks (they run with the exec driver as %s)", ConsulTaskDefaultUser)
	}
	job, err := app.BaseJob(structs.DriverExec)
	if err != nil {
		return nil, fmt.Errorf("App Mesh task: field \"content\": %w", err)
	}
	job.Priority = structs.DefaultPriority + t.Priority
	g := job.Groups[0]
	task := g.Tasks[0]
	task.User = ConsulTaskDefaultUser
	task.Resources = &structs.Resources{MemoryMB: t.MemoryMB}
	if app.Enabled {
		g.Count = *t.Replication
	}
	// App Mesh's scheduler places at most one copy of a task per host.
	g.Constraints = append(g.Constraints, &structs.Constraint{Operator: structs.ConstraintDistinctHosts, Value: "true"})
	g.Constraints = append(g.Constraints, appmeshapi.ConditionConstraints(t.Condition)...)
	if t.Port > 0 {
		g.Network = &structs.NetworkResource{Ports: []*structs.Port{{Label: AppMeshServicePort, Static: t.Port}}}
		g.Services = []*structs.Service{appMeshService(name, app.Task.HealthCheck)}
		// The service's check runs health_check_cmd: not twice.
		task.Checks = nil
	}
	return job, nil
}

// appMeshService is the Consul service of a task with a port, named after
// the application as App Mesh names it. Its check is the application's
// health: health_check_cmd when the application has one (App Mesh's health
// is that command's exit code), else an HTTP GET of / on the port.
func appMeshService(name, healthCmd string) *structs.Service {
	check := &structs.Check{Name: "health", Type: structs.CheckTypeHTTP, Path: "/",
		Interval: structs.Duration(appMeshCheckInterval), Timeout: structs.Duration(structs.DefaultCheckTimeout)}
	if strings.TrimSpace(healthCmd) != "" {
		check = &structs.Check{Name: "health_check_cmd", Type: structs.CheckTypeScript,
			Command: "/bin/sh", Args: []string{"-c", healthCmd}, Task: appmeshapi.TaskName,
			Interval: structs.Duration(appMeshCheckInterval), Timeout: structs.Duration(structs.DefaultCheckTimeout)}
	}
	svc := &structs.Service{Port: AppMeshServicePort, Tags: []string{"appmesh"}, Checks: []*structs.Check{check}}
	if serviceName.MatchString(name) {
		svc.Name = name
	} // else the default name built from the job and group names
	return svc
}

// consulTaskJob decodes a task key's value in whichever format it is in
// and builds its job. Errors say what is wrong with the value.
func consulTaskJob(name string, value []byte) (*structs.Job, error) {
	if isAppMeshTask(value) {
		t, err := DecodeAppMeshTask(value)
		if err != nil {
			return nil, err
		}
		return t.Job(name)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(value, &top); err != nil || top == nil {
		return nil, fmt.Errorf("decode task JSON: the value must be a JSON object (appmesh's format, or App Mesh's with \"content\"): %v", err)
	}
	for _, f := range appMeshOnlyFields {
		if _, ok := top[f]; ok {
			return nil, fmt.Errorf("the value has App Mesh's field %q but no \"content\" (the App Mesh application to run)", f)
		}
	}
	var t ConsulTask
	if err := json.Unmarshal(value, &t); err != nil {
		return nil, fmt.Errorf("decode task JSON: %w", err)
	}
	if strings.TrimSpace(t.Command) == "" {
		return nil, fmt.Errorf("field \"command\" is missing or empty: nothing to run")
	}
	return t.Job(name), nil
}

// consulTaskFormat names a value's format for logs.
func consulTaskFormat(value []byte) string {
	if isAppMeshTask(value) {
		return KVFormatAppMesh
	}
	return KVFormatNative
}

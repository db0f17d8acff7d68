package taskrunner

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/structs"
)

// The injected proxy task's command becomes this node's binary and agent
// address; the group's other tasks get their connect upstreams' addresses,
// which win over an upstream block's variable of the same name.
func TestConnectHook(t *testing.T) {
	g := &structs.TaskGroup{Name: "web", Network: &structs.NetworkResource{Ports: []*structs.Port{{Label: "http"}}},
		Services: []*structs.Service{{Name: "web", Port: "http", Connect: &structs.ConsulConnect{
			SidecarService: &structs.ConsulSidecarService{Proxy: &structs.ConsulProxy{Upstreams: []*structs.ConsulUpstream{
				{DestinationName: "count-api", LocalBindPort: 8080},
				{DestinationName: "db", LocalBindPort: 5432, LocalBindAddress: "127.0.0.2"},
			}}}}}},
		Tasks: []*structs.Task{{Name: "web", Driver: "raw_exec"}}}
	job := &structs.Job{ID: "web", Groups: []*structs.TaskGroup{g}}
	job.Canonicalize()
	proxyTask := g.LookupTask("connect-proxy-web")
	node := &structs.Node{Attributes: map[string]string{
		structs.AttrAppmeshBinary: "/opt/appmesh", structs.AttrAppmeshAgentAddr: "10.0.0.5:4646"}}
	tr := &TaskRunner{task: proxyTask, node: func() *structs.Node { return node }}
	h := connectHookFor(tr, g.ConnectUpstreams())
	cfg := &drivers.TaskConfig{Config: proxyTask.Config, Env: map[string]string{EnvAllocID: "a1", "APPMESH_TASK_DIR": "/data/alloc/a1/connect-proxy-web"}}
	if err := h.(prestartHook).Prestart(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	want := []any{"connect", "proxy", "-agent", "10.0.0.5:4646", "-alloc-id", "a1", "-service", "web", "-metrics-addr", "unix:/data/alloc/a1/connect-proxy-web/metrics.sock"}
	if cfg.Config["command"] != "/opt/appmesh" || !reflect.DeepEqual(cfg.Config["args"], want) {
		t.Fatalf("resolved config: %v", cfg.Config)
	}
	if proxyTask.Config["command"] != structs.ConnectProxyCommand {
		t.Fatalf("the job's task config was changed in place")
	}
	// A node without the attribute fails the task with a clear reason.
	node = &structs.Node{}
	cfg = &drivers.TaskConfig{Config: proxyTask.Config, Env: map[string]string{EnvAllocID: "a1", "APPMESH_TASK_DIR": "/data/alloc/a1/connect-proxy-web"}}
	if err := h.(prestartHook).Prestart(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "attr.appmesh.binary") {
		t.Fatalf("missing attribute: %v", err)
	}

	main := &TaskRunner{task: g.LookupTask("web")}
	env := map[string]string{"APPMESH_UPSTREAM_COUNT_API": "10.1.1.1:9999"} // an upstream block's
	cfg = &drivers.TaskConfig{Env: env}
	if err := connectHookFor(main, g.ConnectUpstreams()).(prestartHook).Prestart(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"APPMESH_UPSTREAM_COUNT_API": "127.0.0.1:8080", "NOMAD_UPSTREAM_ADDR_count_api": "127.0.0.1:8080",
		"NOMAD_UPSTREAM_PORT_count_api": "8080", "APPMESH_UPSTREAM_DB": "127.0.0.2:5432", "NOMAD_UPSTREAM_IP_db": "127.0.0.2",
	} {
		if cfg.Env[k] != v {
			t.Errorf("%s = %q, want %q", k, cfg.Env[k], v)
		}
	}
	if connectHookFor(&TaskRunner{task: &structs.Task{Name: "x"}}, nil) != nil {
		t.Fatal("a task outside the mesh got the hook")
	}
}

package structs

import (
	"reflect"
	"strings"
	"testing"
)

// meshGroup is a group with one sidecar service "web" and one ingress
// gateway whose service name has the longest length a service name may
// have, in the given network mode.
func meshGroup(mode, gateway string) *TaskGroup {
	return &TaskGroup{
		Name: "g",
		Network: &NetworkResource{Mode: mode, Ports: []*Port{
			{Label: "http", To: 8080}, {Label: "inbound", Static: 18080, To: 18080}}},
		Services: []*Service{
			{Name: "web", Port: "http", Connect: &ConsulConnect{SidecarService: &ConsulSidecarService{}}},
			{Name: gateway, Port: "inbound", Connect: &ConsulConnect{Gateway: &ConsulGateway{Ingress: &ConsulIngressConfigEntry{
				Listeners: []*ConsulIngressListener{{Port: 18080, Services: []*ConsulIngressService{{Name: "web"}}}}}}}},
		},
		Tasks: []*Task{{Name: "app", Driver: "raw_exec", Config: map[string]any{"command": "/bin/true"}}},
	}
}

// Injected sidecars and gateways serve /metrics (which has no ACL check)
// on a Unix socket in their task directory in host and bridge mode alike,
// and the group reserves no metrics port for them: the one path the
// client's gatherer reads (client/mesh_metrics.go).
func TestInjectMetricsSocketBothModes(t *testing.T) {
	gateway := strings.Repeat("g", 64) // a service name's maximum
	wantArg := []any{"-metrics-addr", "unix:${APPMESH_TASK_DIR}/" + ProxyMetricsSocket}
	for _, mode := range []string{"", "host", NetworkModeBridge} {
		job := &Job{ID: "mesh", Type: JobTypeService, Groups: []*TaskGroup{meshGroup(mode, gateway)}}
		job.Canonicalize()
		if err := job.Validate(); err != nil {
			t.Fatalf("mode %q: validate: %v", mode, err)
		}
		g := job.Groups[0]
		for _, name := range []string{"connect-proxy-web", ConnectIngressName(gateway)} {
			task := g.LookupTask(name)
			if task == nil {
				t.Fatalf("mode %q: no injected task %s: %+v", mode, name, g.Tasks)
			}
			args, _ := task.Config["args"].([]any)
			if got := argAndValue(args, "-metrics-addr"); !reflect.DeepEqual(got, wantArg) {
				t.Errorf("mode %q: %s -metrics-addr = %v, want %v", mode, name, got, wantArg)
			}
		}
		var labels []string
		for _, p := range g.Network.Ports {
			labels = append(labels, p.Label)
		}
		if want := []string{"http", "inbound", "connect-proxy-web"}; !reflect.DeepEqual(labels, want) {
			t.Errorf("mode %q: ports %v, want %v (no metrics port)", mode, labels, want)
		}
	}
}

// Switching a group between host and bridge mode changes nothing in the
// injected proxies: their tasks and ports are the same either way.
func TestInjectSameInBothModes(t *testing.T) {
	job := &Job{ID: "mesh", Type: JobTypeService, Groups: []*TaskGroup{meshGroup(NetworkModeBridge, "ingress")}}
	job.Canonicalize()
	bridged := job.Copy()
	job.Groups[0].Network.Mode = ""
	job.Canonicalize()
	if !reflect.DeepEqual(bridged.Groups[0].Tasks, job.Groups[0].Tasks) ||
		!reflect.DeepEqual(bridged.Groups[0].Network.Ports, job.Groups[0].Network.Ports) {
		t.Fatalf("host mode differs from bridge mode:\nbridge: %+v %+v\nhost:   %+v %+v",
			bridged.Groups[0].Tasks, bridged.Groups[0].Network.Ports, job.Groups[0].Tasks, job.Groups[0].Network.Ports)
	}
}

func argAndValue(args []any, flag string) []any {
	for i, a := range args {
		if a == flag && i+1 < len(args) {
			return []any{a, args[i+1]}
		}
	}
	return nil
}

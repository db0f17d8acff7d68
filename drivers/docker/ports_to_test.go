package docker

import (
	"strings"
	"testing"

	"github.com/moby/moby/api/types/network"

	"github.com/appmesh/appmesh/drivers"
)

// A network port's `to` is the container port, as in Nomad; port_map
// still wins for a label it names.
func TestPortBindingsUseTo(t *testing.T) {
	tc := &taskConfig{Ports: []string{"db", "web"}, PortMap: map[string]int{"web": 80}}
	exposed, bindings, err := portBindings(map[string]int{"db": 23456, "web": 23457}, map[string]int{"db": 6379, "web": 8080}, tc)
	if err != nil {
		t.Fatal(err)
	}
	for inner, host := range map[string]string{"6379/tcp": "23456", "80/tcp": "23457"} {
		p, _ := network.ParsePort(inner)
		if _, ok := exposed[p]; !ok || len(bindings[p]) != 1 || bindings[p][0].HostPort != host {
			t.Errorf("%s: exposed %v, bindings %v; want host port %s", inner, exposed, bindings[p], host)
		}
	}
	tc.Ports = []string{"nope"}
	if _, _, err := portBindings(map[string]int{"db": 1}, nil, tc); err == nil {
		t.Error("an unknown label must be refused")
	}
}

// In network mode "bridge" the container joins the allocation's pause
// container and publishes nothing itself; config.ports is refused there.
func TestBridgeModeJoinsPauseContainer(t *testing.T) {
	cfg := &drivers.TaskConfig{ID: "a/t", AllocID: "alloc-1", NetNSPath: "/var/run/netns/appmesh-alloc-1",
		Config: map[string]any{"image": "busybox:1"}, Ports: map[string]int{"http": 23456}}
	tc, err := parseConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	opts, err := createOptions(cfg, tc)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(opts.HostConfig.NetworkMode); got != "container:appmesh-pause-alloc-1" {
		t.Fatalf("network mode = %q, want the pause container's", got)
	}
	if len(opts.HostConfig.PortBindings) != 0 {
		t.Fatalf("port bindings %v in bridge mode, want none", opts.HostConfig.PortBindings)
	}
	tc.Ports = []string{"http"}
	if _, err := createOptions(cfg, tc); err == nil || !strings.Contains(err.Error(), "remove config.ports") {
		t.Fatalf("config.ports in bridge mode: err = %v", err)
	}
}

package docker

import (
	"testing"

	"github.com/moby/moby/api/types/network"
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

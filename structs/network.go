package structs

import (
	"fmt"
	"regexp"
)

// Dynamic ports are picked from this range (inclusive) on each node.
const (
	DefaultMinDynamicPort = 20000
	DefaultMaxDynamicPort = 32000
	maxPortNumber         = 65535
)

// A '-' is allowed for the sidecar proxies' "connect-proxy-<service>"
// (Nomad's label); the environment spells it '_' (APPMESH_PORT_...).
var validPortLabel = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_\-]{0,127}$`)

// NetworkResource is a group's `network` block: the ports its tasks need.
//
//	network {
//	  port "http" { static = 8080 }
//	  port "admin" {}              # dynamic
//	}
type NetworkResource struct {
	// Mode is "host" (the default: tasks share the node's network) or
	// "bridge" (the allocation gets its own network namespace on the
	// client's bridge, ports mapped from the host; see bridge_network.go).
	Mode  string  `json:"mode,omitempty"`
	Ports []*Port `json:"ports,omitempty" hcl:"port,block"`
	// Hostname is the allocation's host name in bridge mode.
	Hostname string `json:"hostname,omitempty"`
	// DNS is the resolver configuration the tasks get in bridge mode.
	DNS *DNSConfig `json:"dns,omitempty" hcl:"dns,block"`
}

// Port asks for one port: Static > 0 wants exactly that port, 0 any free
// port of the dynamic range. To is the port inside the task (informative).
type Port struct {
	Label  string `json:"label" hcl:",label"`
	Static int    `json:"static,omitempty"`
	To     int    `json:"to,omitempty"`
}

// AllocatedPort is a port given to an allocation.
type AllocatedPort struct {
	Label string `json:"label"`
	Value int    `json:"value"`
	To    int    `json:"to,omitempty"`
}

// Validate checks labels and static port numbers.
func (n *NetworkResource) Validate() error {
	v := &ValidationError{}
	if n == nil {
		return nil
	}
	validateNetworkMode(v, n)
	labels := map[string]bool{}
	statics := map[int]string{}
	for i, p := range n.Ports {
		if p == nil {
			v.Add(fmt.Sprintf("port %d", i+1), "port is empty")
			continue
		}
		switch {
		case !validPortLabel.MatchString(p.Label):
			v.Add(fmt.Sprintf("port %d", i+1), "label %q is invalid: use letters, digits, '_' and '-', starting with a letter or '_'", p.Label)
		case labels[p.Label]:
			v.Add(fmt.Sprintf("port %q", p.Label), "defined more than once")
		}
		labels[p.Label] = true
		if p.Static < 0 || p.Static > maxPortNumber {
			v.Add(fmt.Sprintf("port %q", p.Label), "static port %d is out of range 1-%d", p.Static, maxPortNumber)
		} else if other, dup := statics[p.Static]; dup && p.Static != 0 {
			v.Add(fmt.Sprintf("port %q", p.Label), "static port %d is also asked for by port %q", p.Static, other)
		} else if p.Static != 0 {
			statics[p.Static] = p.Label
		}
		if p.To < 0 || p.To > maxPortNumber {
			v.Add(fmt.Sprintf("port %q", p.Label), "to %d is out of range 1-%d", p.To, maxPortNumber)
		}
	}
	return v.ErrorOrNil()
}

// Copy returns a deep copy.
func (n *NetworkResource) Copy() *NetworkResource {
	if n == nil {
		return nil
	}
	c := &NetworkResource{Mode: n.Mode, Hostname: n.Hostname, DNS: n.DNS.Copy(),
		Ports: make([]*Port, len(n.Ports))}
	for i, p := range n.Ports {
		if p != nil {
			pc := *p
			c.Ports[i] = &pc
		}
	}
	return c
}

// HasPorts reports whether the block asks for any port.
func (n *NetworkResource) HasPorts() bool { return n != nil && len(n.Ports) > 0 }

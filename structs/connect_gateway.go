package structs

import (
	"fmt"
	"maps"
	"strings"
)

// An ingress gateway exposes mesh services on a port of the node, in the
// shape of Nomad's gateway block:
//
//	network {
//	  port "inbound" { static = 8080 }
//	}
//	service {
//	  name = "api-ingress"
//	  port = "inbound"
//	  connect {
//	    gateway {
//	      ingress {
//	        listener {
//	          port     = 8080
//	          protocol = "tcp"
//	          service { name = "api" }
//	        }
//	      }
//	    }
//	  }
//	}
//
// The servers inject a task "connect-ingress-<service>" (Kind
// "connect-ingress:<service>") running the same `appmesh connect proxy` as
// a sidecar. Its config (built by the client) has no inbound listener: one
// listener per ingress listener, bound on the node's address (0.0.0.0 in a
// bridge namespace) instead of loopback, each dialing its mesh service over
// mTLS with the gateway service's own identity, so intentions from the
// gateway's name to the service apply.

// ConsulGateway is a service's `connect.gateway` block. Only ingress is
// supported; terminating and mesh gateways are refused by the jobspec
// parsers as Nomad-only features.
type ConsulGateway struct {
	Proxy   *ConsulGatewayProxy       `json:"proxy,omitempty" hcl:"proxy,block"`
	Ingress *ConsulIngressConfigEntry `json:"ingress,omitempty" hcl:"ingress,block"`
}

// ConsulGatewayProxy holds the gateway proxy's options appmesh reads.
type ConsulGatewayProxy struct {
	// ConnectTimeout bounds one dial to a service instance (default 5s).
	ConnectTimeout Duration `json:"connect_timeout,omitempty"`
	// Config is free-form, as in Nomad; appmesh reads "max_procs"
	// (connect_procs.go) and leaves other keys alone.
	Config map[string]any `json:"config,omitempty" hcl:"config,block"`
}

// ConsulIngressConfigEntry lists the gateway's listeners.
type ConsulIngressConfigEntry struct {
	Listeners []*ConsulIngressListener `json:"listeners,omitempty" hcl:"listener,block"`
}

// ConsulIngressListener is one port of the node the gateway listens on.
type ConsulIngressListener struct {
	// Port is the port number the gateway binds: a port of the group's
	// network must reserve it (static, or "to" in bridge mode), as in
	// Nomad where the listener port must be exposed by the group.
	Port int `json:"port"`
	// Protocol is "tcp" (default) or "http".
	Protocol string                  `json:"protocol,omitempty"`
	Services []*ConsulIngressService `json:"services,omitempty" hcl:"service,block"`
}

// ConsulIngressService is the mesh service a listener forwards to.
type ConsulIngressService struct {
	Name string `json:"name"`
	// Namespace of the service; empty: the job's.
	Namespace string `json:"namespace,omitempty"`
}

// Names of the injected gateway.
const (
	// ConnectIngressPrefix starts an injected gateway task's name.
	ConnectIngressPrefix = "connect-ingress-"
	// ConnectIngressKindPrefix starts its Task.Kind (Nomad's value).
	ConnectIngressKindPrefix = "connect-ingress:"
	// ProxyMetricsSocket is the Unix socket, in its task directory, on
	// which an injected proxy or gateway serves its /metrics.
	ProxyMetricsSocket = "metrics.sock"
	// MeshGatewayIngress is MeshProxyConfig.Gateway of an ingress gateway.
	MeshGatewayIngress = "ingress"
)

// ConnectIngressName is the injected gateway task's name.
func ConnectIngressName(service string) string { return ConnectIngressPrefix + service }

// ConnectIngressService returns the service a task is the injected ingress
// gateway of, or "".
func (t *Task) ConnectIngressService() string {
	if t == nil {
		return ""
	}
	svc, _ := strings.CutPrefix(t.Kind, ConnectIngressKindPrefix)
	if svc == t.Kind {
		return ""
	}
	return svc
}

// MeshProxyService is the service an injected proxy or gateway task runs
// for, or "" for any other task.
func (t *Task) MeshProxyService() string {
	if s := t.ConnectProxyService(); s != "" {
		return s
	}
	return t.ConnectIngressService()
}

// IsIngressGateway tells whether the service is an ingress gateway.
func (s *Service) IsIngressGateway() bool {
	return s != nil && s.Connect != nil && s.Connect.Gateway != nil && s.Connect.Gateway.Ingress != nil
}

// MeshProxyTaskName is the name of the injected task that runs the proxy
// of a group service (its sidecar or ingress gateway), or "" when it has
// none.
func (g *TaskGroup) MeshProxyTaskName(service string) string {
	for _, s := range g.Services {
		if s == nil || s.Name != service {
			continue
		}
		switch {
		case s.HasSidecar():
			return ConnectProxyName(service)
		case s.IsIngressGateway():
			return ConnectIngressName(service)
		}
	}
	return ""
}

// Protocol is the listener's protocol, "tcp" by default.
func (l *ConsulIngressListener) ProtocolOrDefault() string {
	if l.Protocol == "" {
		return "tcp"
	}
	return l.Protocol
}

// Copy returns a deep copy.
func (gw *ConsulGateway) Copy() *ConsulGateway {
	if gw == nil {
		return nil
	}
	out := &ConsulGateway{}
	if gw.Proxy != nil {
		p := *gw.Proxy
		p.Config = maps.Clone(gw.Proxy.Config) // values are immutable, as in a task's config
		out.Proxy = &p
	}
	if in := gw.Ingress; in != nil {
		out.Ingress = &ConsulIngressConfigEntry{}
		for _, l := range in.Listeners {
			if l == nil {
				out.Ingress.Listeners = append(out.Ingress.Listeners, nil)
				continue
			}
			cl := *l
			cl.Services = nil
			for _, s := range l.Services {
				if s != nil {
					cs := *s
					s = &cs
				}
				cl.Services = append(cl.Services, s)
			}
			out.Ingress.Listeners = append(out.Ingress.Listeners, &cl)
		}
	}
	return out
}

// validateGateway checks an ingress gateway service against its group:
// each listener's port is reserved by the group's network.
func validateGateway(v *ValidationError, g *TaskGroup, s *Service) {
	c := s.Connect
	if c.SidecarService != nil {
		v.Add("connect", "a service is either a sidecar_service or a gateway, not both")
	}
	if c.Gateway.Ingress == nil {
		v.Add("connect.gateway", "ingress is required: appmesh supports ingress gateways only (no terminating or mesh gateways)")
		return
	}
	if p := c.Gateway.Proxy; p != nil && p.ConnectTimeout < 0 {
		v.Add("connect.gateway.proxy", "connect_timeout must not be negative")
	}
	if _, err := c.Gateway.Proxy.MaxProcs(); err != nil {
		v.Add("connect.gateway.proxy.config", "%v", err)
	}
	ls := c.Gateway.Ingress.Listeners
	if len(ls) == 0 {
		v.Add("connect.gateway.ingress", "at least one listener is required")
	}
	seen := map[int]bool{}
	for i, l := range ls {
		field := fmt.Sprintf("connect.gateway.ingress.listener %d", i+1)
		if l == nil {
			v.Add(field, "empty block")
			continue
		}
		switch l.ProtocolOrDefault() {
		case "tcp", "http":
		default:
			v.Add(field, "protocol %q is invalid: use \"tcp\" or \"http\"", l.Protocol)
		}
		if l.Port <= 0 || l.Port > maxPortNumber {
			v.Add(field, "port is required: the port number (1-65535) the gateway listens on")
		} else if seen[l.Port] {
			v.Add(field, "port %d is used by another listener of this gateway", l.Port)
		} else if !groupReservesPort(g, l.Port) {
			v.Add(field, "port %d is not reserved by the group's network: add a port with static = %d (or, in bridge mode, to = %d)", l.Port, l.Port, l.Port)
		}
		seen[l.Port] = true
		if len(l.Services) != 1 || l.Services[0] == nil {
			v.Add(field, "give exactly one service block: appmesh forwards a listener to one mesh service")
			continue
		}
		if n := l.Services[0].Name; !validServiceName.MatchString(n) || n == MeshWildcard {
			v.Add(field, "service name %q is not a valid service name", n)
		}
	}
}

// groupReservesPort tells whether the group's network holds the listener
// port: a static host port on the node's network, the port it is mapped
// to in a bridge namespace.
func groupReservesPort(g *TaskGroup, port int) bool {
	if g.Network == nil {
		return false
	}
	for _, p := range g.Network.Ports {
		if p == nil {
			continue
		}
		if g.Network.IsBridge() {
			if p.To == port || (p.To == 0 && p.Static == port) {
				return true
			}
		} else if p.Static == port {
			return true
		}
	}
	return false
}

// connectIngressTask builds the gateway task of a service: the sidecar's
// command, with the gateway's name and kind.
func connectIngressTask(s *Service) *Task {
	t := connectProxyTask(s, ConnectIngressName(s.Name))
	t.Kind = ConnectIngressKindPrefix + s.Name
	// A gateway is the group's main work, not a sidecar of another task:
	// it runs as a main task, as in Nomad.
	t.Lifecycle = nil
	return t
}

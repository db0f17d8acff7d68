package structs

import (
	"fmt"
	"maps"
	"net"
	"sort"
	"strings"
)

// A group service's `connect` block puts it in the service mesh, in the
// shape of Nomad's Consul Connect block:
//
//	service {
//	  name = "web"
//	  port = "http"
//	  connect {
//	    sidecar_service {
//	      proxy {
//	        config { protocol = "http" }
//	        upstreams { destination_name = "api"  local_bind_port = 8080 }
//	      }
//	    }
//	    sidecar_task { resources { cpu = 50  memory = 64 } }
//	  }
//	}
//
// The servers add the sidecar proxy to the group when the job is
// canonicalized (InjectConnectSidecars): a dynamic port
// "connect-proxy-<service>" and a prestart sidecar task of the same name
// that runs the agent's own binary as `appmesh connect proxy`. The client
// registers the proxy in the built-in catalog as "<service>-sidecar-proxy".

// ConsulConnect is a service's `connect` block.
type ConsulConnect struct {
	SidecarService *ConsulSidecarService `json:"sidecar_service,omitempty" hcl:"sidecar_service,block"`
	// SidecarTask adjusts the injected proxy task.
	SidecarTask *SidecarTask `json:"sidecar_task,omitempty" hcl:"sidecar_task,block"`
	// Gateway makes the service an ingress gateway (connect_gateway.go)
	// instead of a service with a sidecar.
	Gateway *ConsulGateway `json:"gateway,omitempty" hcl:"gateway,block"`
}

// ConsulSidecarService is the proxy's side of the service.
type ConsulSidecarService struct {
	// Port is a port label of the group's network for the proxy's inbound
	// listener; empty: the injected dynamic port "connect-proxy-<service>".
	Port string `json:"port,omitempty"`
	// Tags of the proxy's catalog entry; empty: the service's tags.
	Tags  []string     `json:"tags,omitempty"`
	Proxy *ConsulProxy `json:"proxy,omitempty" hcl:"proxy,block"`
}

// ConsulProxy configures the sidecar proxy.
type ConsulProxy struct {
	// LocalServiceAddress and LocalServicePort are where the proxy
	// forwards inbound connections: 127.0.0.1 and the service's port by
	// default.
	LocalServiceAddress string `json:"local_service_address,omitempty"`
	LocalServicePort    int    `json:"local_service_port,omitempty"`
	// Config is free-form; appmesh reads "protocol" ("tcp" or "http")
	// and "max_procs" (the proxy's -max-procs, connect_procs.go).
	Config    map[string]any    `json:"config,omitempty" hcl:"config,block"`
	Upstreams []*ConsulUpstream `json:"upstreams,omitempty" hcl:"upstreams,block"`
}

// ConsulUpstream is one service the group's tasks reach through the proxy
// at LocalBindAddress:LocalBindPort.
type ConsulUpstream struct {
	DestinationName      string `json:"destination_name"`
	DestinationNamespace string `json:"destination_namespace,omitempty"`
	LocalBindPort        int    `json:"local_bind_port"`
	LocalBindAddress     string `json:"local_bind_address,omitempty"`
}

// SidecarTask overrides parts of the injected proxy task.
type SidecarTask struct {
	Resources   *Resources        `json:"resources,omitempty" hcl:"resources,block"`
	Env         map[string]string `json:"env,omitempty"`
	Meta        map[string]string `json:"meta,omitempty"`
	KillTimeout Duration          `json:"kill_timeout,omitempty"`
	Logs        *LogConfig        `json:"logs,omitempty" hcl:"logs,block"`
}

// Names and defaults of the injected sidecar.
const (
	// ConnectProxyPrefix starts the injected port label and task name.
	ConnectProxyPrefix = "connect-proxy-"
	// ConnectProxyKindPrefix starts Task.Kind of an injected proxy task
	// ("connect-proxy:<service>", Nomad's value).
	ConnectProxyKindPrefix = "connect-proxy:"
	// ConnectSidecarSuffix ends the proxy's catalog name.
	ConnectSidecarSuffix = "-sidecar-proxy"
	// AttrAppmeshBinary is the node attribute holding the client's own
	// executable; the injected task's command names it, and the client
	// resolves it for that task only (client/taskrunner/hook_connect.go).
	AttrAppmeshBinary = "appmesh.binary"
	// AttrAppmeshAgentAddr is the node attribute holding the client
	// agent's HTTP address (host:port), where the proxy reads its config.
	AttrAppmeshAgentAddr = "appmesh.agent_addr"
	// ConnectProxyCommand is the injected task's command.
	ConnectProxyCommand = "${attr." + AttrAppmeshBinary + "}"
	// DefaultUpstreamBindAddr is where an upstream listens by default.
	DefaultUpstreamBindAddr = "127.0.0.1"
	defaultProxyCPU         = 100
	defaultProxyMemoryMB    = 64
)

// ConnectProxyName is the injected port label and task name of a service.
func ConnectProxyName(service string) string { return ConnectProxyPrefix + service }

// ConnectSidecarName is the proxy's name in the catalog.
func ConnectSidecarName(service string) string { return service + ConnectSidecarSuffix }

// ConnectProxyService returns the service a task is the injected proxy of,
// or "" for any other task.
func (t *Task) ConnectProxyService() string {
	if t == nil {
		return ""
	}
	svc, ok := strings.CutPrefix(t.Kind, ConnectProxyKindPrefix)
	if !ok {
		return ""
	}
	return svc
}

// HasSidecar tells whether the service asks for a sidecar proxy.
func (s *Service) HasSidecar() bool {
	return s != nil && s.Connect != nil && s.Connect.SidecarService != nil
}

// Protocol is the proxy's protocol: config.protocol, "tcp" by default.
func (p *ConsulProxy) Protocol() string {
	if p == nil {
		return "tcp"
	}
	if s, ok := p.Config["protocol"].(string); ok && s != "" {
		return s
	}
	return "tcp"
}

// ProxyOf is the sidecar's proxy block (nil-safe).
func (c *ConsulConnect) ProxyOf() *ConsulProxy {
	if c == nil || c.SidecarService == nil {
		return nil
	}
	return c.SidecarService.Proxy
}

// Namespace is the upstream's namespace: its own or, when empty, the
// job's.
func (u *ConsulUpstream) Namespace(jobNamespace string) string {
	if u.DestinationNamespace != "" {
		return u.DestinationNamespace
	}
	return jobNamespace
}

// BindAddr is host:port of the upstream's local listener.
func (u *ConsulUpstream) BindAddr() string {
	host := u.LocalBindAddress
	if host == "" {
		host = DefaultUpstreamBindAddr
	}
	return net.JoinHostPort(host, fmt.Sprint(u.LocalBindPort))
}

// ConnectUpstreams lists the upstreams of every connect service of the
// group, sorted by destination name.
func (g *TaskGroup) ConnectUpstreams() []*ConsulUpstream {
	var out []*ConsulUpstream
	for _, s := range g.Services {
		if p := s.Connect.ProxyOf(); s.HasSidecar() && p != nil {
			out = append(out, p.Upstreams...)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].DestinationName < out[j].DestinationName })
	return out
}

// Copy returns a deep copy.
func (c *ConsulConnect) Copy() *ConsulConnect {
	if c == nil {
		return nil
	}
	out := &ConsulConnect{Gateway: c.Gateway.Copy()}
	if ss := c.SidecarService; ss != nil {
		cs := *ss
		cs.Tags = append([]string(nil), ss.Tags...)
		cs.Proxy = ss.Proxy.Copy()
		out.SidecarService = &cs
	}
	if st := c.SidecarTask; st != nil {
		ct := *st
		if st.Resources != nil {
			r := *st.Resources
			ct.Resources = &r
		}
		ct.Env, ct.Meta = copyStringMap(st.Env), copyStringMap(st.Meta)
		ct.Logs = st.Logs.Copy()
		out.SidecarTask = &ct
	}
	return out
}

// Copy returns a deep copy; config values are treated as immutable, as a
// task's config is.
func (p *ConsulProxy) Copy() *ConsulProxy {
	if p == nil {
		return nil
	}
	c := *p
	c.Config = maps.Clone(p.Config)
	if p.Upstreams != nil {
		c.Upstreams = make([]*ConsulUpstream, len(p.Upstreams))
		for i, u := range p.Upstreams {
			if u != nil {
				cu := *u
				c.Upstreams[i] = &cu
			}
		}
	}
	return &c
}

// validateConnect checks a group service's connect block. Upstream bind
// addresses must differ within the group (checked by the group).
func validateConnect(v *ValidationError, g *TaskGroup, s *Service) {
	c := s.Connect
	if c.Gateway != nil {
		validateGateway(v, g, s)
		return
	}
	if c.SidecarService == nil {
		v.Add("connect", "sidecar_service or gateway is required: appmesh has no native Connect integration (connect { native = true })")
		return
	}
	if n := ConnectSidecarName(s.Name); !validServiceName.MatchString(n) {
		v.Add("connect", "the proxy's catalog name %q is longer than 63 characters: shorten the service's name", n)
	}
	if s.Port == "" {
		v.Add("connect", "the service needs a port (a port label of the group's network block): the proxy forwards to it")
	}
	if c.SidecarService.Port != "" && !validPortLabel.MatchString(c.SidecarService.Port) {
		v.Add("connect.sidecar_service", "port %q is not a valid port label", c.SidecarService.Port)
	}
	if st := c.SidecarTask; st != nil && st.Resources != nil {
		v.Merge("connect.sidecar_task.resources", st.Resources.Validate())
	}
	p := c.SidecarService.Proxy
	if p == nil {
		return
	}
	switch p.Protocol() {
	case "tcp", "http":
	default:
		v.Add("connect.sidecar_service.proxy.config", "protocol %q is invalid: use \"tcp\" or \"http\"", p.Protocol())
	}
	if _, err := p.MaxProcs(); err != nil {
		v.Add("connect.sidecar_service.proxy.config", "%v", err)
	}
	if p.LocalServicePort < 0 || p.LocalServicePort > maxPortNumber {
		v.Add("connect.sidecar_service.proxy", "local_service_port %d is out of range", p.LocalServicePort)
	}
	if a := p.LocalServiceAddress; a != "" && net.ParseIP(a) == nil {
		v.Add("connect.sidecar_service.proxy", "local_service_address %q is not an IP address", a)
	}
	for i, u := range p.Upstreams {
		field := fmt.Sprintf("connect.sidecar_service.proxy.upstreams %d", i+1)
		if u == nil {
			v.Add(field, "empty block")
			continue
		}
		switch {
		case u.DestinationName == "":
			v.Add(field, "destination_name is required")
		case !validServiceName.MatchString(u.DestinationName):
			v.Add(field, "destination_name %q is not a valid service name: use letters, digits and '-' (a DNS label)", u.DestinationName)
		}
		if u.LocalBindPort <= 0 || u.LocalBindPort > maxPortNumber {
			v.Add(field, "local_bind_port is required: the port (1-65535) the group's tasks reach %q at", u.DestinationName)
		}
		if a := u.LocalBindAddress; a != "" && net.ParseIP(a) == nil {
			v.Add(field, "local_bind_address %q is not an IP address", a)
		}
	}
}

// validateGroupConnect checks the connect blocks of a group: only group
// services have them, upstream listeners are unique in the group (tasks
// share the network), and each injected proxy task is the servers' own.
func validateGroupConnect(v *ValidationError, g *TaskGroup) {
	for _, t := range g.Tasks {
		for _, s := range t.Services {
			if s != nil && s.Connect != nil {
				v.Add(fmt.Sprintf("task %q: service %q", t.Name, s.Name),
					"connect is only for group services: move the service block to the group")
			}
		}
	}
	binds := map[string]string{}
	for _, s := range g.Services {
		if s == nil || s.Connect == nil {
			continue
		}
		prefix := fmt.Sprintf("service %q", s.Name)
		sv := &ValidationError{}
		validateConnect(sv, g, s)
		v.Merge(prefix, sv.ErrorOrNil())
		if p := s.Connect.ProxyOf(); p != nil {
			for _, u := range p.Upstreams {
				if u == nil || u.LocalBindPort <= 0 {
					continue
				}
				if other, dup := binds[u.BindAddr()]; dup {
					v.Add(prefix, "upstream %q: local_bind_port %d is already used by upstream %q in this group",
						u.DestinationName, u.LocalBindPort, other)
				}
				binds[u.BindAddr()] = u.DestinationName
			}
		}
		name := g.MeshProxyTaskName(s.Name)
		if name == "" {
			continue
		}
		if t := g.LookupTask(name); t != nil && t.MeshProxyService() != s.Name {
			what := "sidecar proxy"
			if s.IsIngressGateway() {
				what = "ingress gateway"
			}
			v.Add(fmt.Sprintf("task %q", name), "the name is reserved for the %s of service %q, which the servers add: rename the task", what, s.Name)
		}
	}
	for _, t := range g.Tasks {
		svc := t.MeshProxyService()
		switch {
		case svc == "" && t.Kind != "":
			v.Add(fmt.Sprintf("task %q", t.Name), "kind %q is not one appmesh knows: kind is set by the servers only", t.Kind)
		case svc != "" && g.MeshProxyTaskName(svc) == "":
			v.Add(fmt.Sprintf("task %q", t.Name), "kind %q names service %q, which has no connect.sidecar_service or connect.gateway in this group", t.Kind, svc)
		case svc != "" && t.Name != g.MeshProxyTaskName(svc):
			v.Add(fmt.Sprintf("task %q", t.Name), "kind %q belongs to the task %q the servers add: remove kind", t.Kind, g.MeshProxyTaskName(svc))
		}
	}
}

// ConnectSidecarServices are the catalog entries of the group's sidecar
// proxies: "<service>-sidecar-proxy" in the built-in catalog, on the
// proxy's port, with the sidecar's tags (the service's by default) and a
// tcp check, so that only a listening proxy is passing.
func ConnectSidecarServices(g *TaskGroup) []*Service {
	var out []*Service
	for _, s := range g.Services {
		if !s.HasSidecar() {
			continue
		}
		tags := s.Connect.SidecarService.Tags
		if len(tags) == 0 {
			tags = s.Tags
		}
		out = append(out, &Service{
			Name: ConnectSidecarName(s.Name), Port: s.ProxyPortLabel(), Provider: ServiceProviderAppmesh,
			Tags: append([]string(nil), tags...),
			Checks: []*Check{{Name: "proxy listening", Type: CheckTypeTCP,
				Interval: Duration(DefaultCheckInterval), Timeout: Duration(DefaultCheckTimeout)}},
		})
	}
	return out
}

// ConnectBlocks maps the group's connect services to their connect blocks
// (the scheduler replaces allocations when they change); nil without any.
func (g *TaskGroup) ConnectBlocks() map[string]*ConsulConnect {
	var out map[string]*ConsulConnect
	for _, s := range g.Services {
		if s != nil && s.Connect != nil {
			if out == nil {
				out = map[string]*ConsulConnect{}
			}
			out[s.Name] = s.Connect
		}
	}
	return out
}

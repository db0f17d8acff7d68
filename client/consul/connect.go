package consul

import (
	"fmt"
	"maps"
	"net"
	"strconv"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/consul/api"
)

// Consul Connect registration: with `consul { connect = true }` a connect
// service goes to Consul with its sidecar proxy, so that Consul's catalog,
// CA and intentions see it as a mesh service (website/mesh.md, "Consul
// Connect"). The proxy itself is still appmesh's (`appmesh connect proxy`).

// MetaJobVersion is the service meta key holding the allocation's job
// version, which traffic splits select subsets by.
const MetaJobVersion = "appmesh_job_version"

// SidecarSuffix ends the Consul ID of a service's sidecar proxy.
const SidecarSuffix = "-sidecar-proxy"

// sidecarRegistration is the Consul registration of the sidecar proxy of
// connect service s (whose own registration is svc): Kind connect-proxy
// on the proxy's port, pointing at the service's local port, with the
// upstreams, and a TCP check so that it passes only once the proxy
// listens. Its ID extends the service's, so RemoveWorkload removes both.
func (w *Workload) sidecarRegistration(s *structs.Service, svc *api.AgentServiceRegistration, addr, node string) (*api.AgentServiceRegistration, error) {
	port, err := w.portValue(s.ProxyPortLabel())
	if err != nil {
		return nil, fmt.Errorf("sidecar proxy of %q: %w", s.Name, err)
	}
	side := s.Connect.SidecarService
	proxy := s.Connect.ProxyOf()
	tags := append([]string(nil), side.Tags...)
	if len(tags) == 0 {
		tags = append(tags, s.Tags...)
	}
	localAddr, localPort := "127.0.0.1", svc.Port
	if proxy != nil && proxy.LocalServiceAddress != "" {
		localAddr = proxy.LocalServiceAddress
	}
	if proxy != nil && proxy.LocalServicePort > 0 {
		localPort = proxy.LocalServicePort
	}
	cp := &api.AgentServiceConnectProxyConfig{
		DestinationServiceName: s.Name, DestinationServiceID: svc.ID,
		LocalServiceAddress: localAddr, LocalServicePort: localPort,
		Config: map[string]any{"protocol": proxy.Protocol()},
	}
	if proxy != nil {
		for _, u := range proxy.Upstreams {
			cp.Upstreams = append(cp.Upstreams, api.Upstream{
				DestinationType: api.UpstreamDestTypeService, DestinationName: u.DestinationName,
				LocalBindAddress: u.LocalBindAddress, LocalBindPort: u.LocalBindPort,
			})
		}
	}
	meta := maps.Clone(svc.Meta)
	meta[MetaOwner] = node
	id := svc.ID + SidecarSuffix
	return &api.AgentServiceRegistration{
		Kind: api.ServiceKindConnectProxy, ID: id, Name: structs.ConnectSidecarName(s.Name),
		Tags: tags, Port: port, Address: addr, Meta: meta, Proxy: cp,
		Checks: api.AgentServiceChecks{{
			CheckID: id + "-check-0", Name: "proxy listening",
			TCP:      net.JoinHostPort(addr, strconv.Itoa(port)),
			Interval: sidecarCheckInterval, Timeout: structs.DefaultCheckTimeout.String(),
		}},
	}, nil
}

// sidecarCheckInterval is shorter than services' default: callers find a
// proxy only once Consul has seen it listen.
const sidecarCheckInterval = "5s"
